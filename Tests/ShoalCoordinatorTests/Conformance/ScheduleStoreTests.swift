import Foundation
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// Schedules at the store (each backend's, `StoreBackend`): unique names, removal, and the
/// record of their runs. (Claiming a run across replicas: `WorkLeaseStoreTests`.)
@Suite struct ScheduleStoreTests {
    let store: any FleetStore
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    init() async throws {
        store = try await StoreBackend.makeStore()
    }

    func schedule(_ name: String, cron: String = "@every 1h") -> ScheduleRecord {
        ScheduleRecord(name: name, cron: cron, requestJSON: "{}", createdAt: now, createdBy: "test", nextRunAt: now.addingTimeInterval(3600))
    }

    @Test func aTakenNameIsRefusedAndChangesNothing() async throws {
        try await store.insertSchedule(schedule("backup"), audit: .test("schedule.add"))
        do {
            try await store.insertSchedule(schedule("backup", cron: "@every 5m"), audit: .test("schedule.add"))
            Issue.record("a second schedule named backup was accepted")
        } catch let error as ShoalError {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("'backup' exists"))
        }
        let stored = try await store.schedules()
        #expect(stored.readable.map(\.cron) == ["@every 1h"], "the first one is kept as it was")
        #expect(stored.broken.isEmpty)
        #expect(try await store.auditEntries(AuditQuery(action: "schedule.add")).count == 1)
        // The store is still usable after the refused write.
        try await store.insertSchedule(schedule("Archive"), audit: .test("schedule.add"))
        #expect(try await store.schedules().readable.map(\.name) == ["Archive", "backup"])
    }

    @Test func runsAreRecordedNewestFirstAndMoveTheSchedule() async throws {
        try await store.insertSchedule(schedule("backup"), audit: .test("schedule.add"))
        #expect(try await store.scheduleRuns(name: "backup", limit: 10)?.isEmpty == true)
        #expect(try await store.scheduleRuns(name: "nobody", limit: 10) == nil)

        let first = ScheduleRunRecord(scheduleName: "backup", at: now.addingTimeInterval(3600), outcome: "started", taskID: "t-1", detail: "")
        try await store.recordScheduleRun(first, nextRunAt: now.addingTimeInterval(7200), startedTaskID: "t-1")
        let second = ScheduleRunRecord(scheduleName: "backup", at: now.addingTimeInterval(7200), outcome: "skipped", taskID: nil, detail: "t-1 still running")
        try await store.recordScheduleRun(second, nextRunAt: now.addingTimeInterval(10800), startedTaskID: nil)

        let runs = try #require(try await store.scheduleRuns(name: "backup", limit: 10))
        #expect(runs.map(\.outcome) == ["skipped", "started"])
        #expect(runs.last?.taskID == "t-1")
        #expect(try await store.scheduleRuns(name: "backup", limit: 1)?.map(\.outcome) == ["skipped"])
        let stored = try #require(try await store.schedules().readable.first)
        #expect(stored.nextRunAt == now.addingTimeInterval(10800))
        #expect(stored.lastRunAt == now.addingTimeInterval(7200))
        #expect(stored.lastTaskID == "t-1", "a skipped run keeps the task of the last started one")

        // A run of a schedule removed meanwhile is dropped; the earlier runs stay readable.
        #expect(try await store.deleteSchedule(name: "backup", audit: .test("schedule.remove")))
        try await store.recordScheduleRun(first, nextRunAt: now, startedTaskID: "t-9")
        #expect(try await store.scheduleRuns(name: "backup", limit: 10)?.map(\.outcome) == ["skipped", "started"])
        #expect(try await store.schedules().readable.isEmpty)
    }

    @Test func removingIsAuditedOnlyWhenThereWasSomethingToRemove() async throws {
        try await store.insertSchedule(schedule("backup"), audit: .test("schedule.add"))
        #expect(try await store.deleteSchedule(name: "backup", audit: .test("schedule.remove")))
        #expect(try await !store.deleteSchedule(name: "backup", audit: .test("schedule.remove")))
        #expect(try await store.schedules().readable.isEmpty)
        #expect(try await store.auditEntries(AuditQuery(action: "schedule.remove")).count == 1)
        // The name is free again.
        try await store.insertSchedule(schedule("backup"), audit: .test("schedule.add"))
        #expect(try await store.schedules().readable.count == 1)
    }
}
