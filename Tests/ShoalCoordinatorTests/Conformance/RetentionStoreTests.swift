import Foundation
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// What retention deletes at the store (each backend's, `StoreBackend`): finished tasks only
/// (never one with work still out), counted in stored bytes; node events and schedule runs by
/// age, then all but the newest of each node or schedule. `StoragePrunerTests` covers the
/// pruner's choices on top of these.
@Suite struct RetentionStoreTests {
    let store: any FleetStore
    let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))

    init() async throws {
        store = try await StoreBackend.makeStore()
        try await store.addTestToken(uses: 2)
    }

    func daysAgo(_ days: Double) -> Date { now.addingTimeInterval(-days * 86400) }

    func enroll(_ id: String, at: Date) async throws {
        try await store.enrollTestNode(id, at: at)
    }

    @Test func nodeEventsGoByAgeThenAllButEachNodesNewest() async throws {
        // n-a's events at known days: enrolled 50, down 45, then back and down again, ready 1.
        try await enroll("n-a", at: daysAgo(50))
        for (down, ready) in [(45.0, 5.0), (4, 3), (2, 1)] {
            _ = try await store.markDown(lastHeartbeatBefore: now, now: daysAgo(down))
            _ = try await store.recordHeartbeat(nodeID: "n-a", at: daysAgo(ready), metricsJSON: "{}", factsJSON: nil, point: nil, labelsVersionHeld: 0, coordinatorURL: nil)
        }
        try await enroll("n-b", at: daysAgo(1))
        #expect(try await store.events(nodeID: "n-a").map(\.kind) == ["enrolled", "down", "ready", "down", "ready", "down", "ready"])

        // Two older than 30 days go; of n-a's five left the newest three stay; n-b's one stays.
        #expect(try await store.pruneNodeEvents(before: daysAgo(30), keepPerNode: 3) == 4)
        let kept = try await store.events(nodeID: "n-a")
        #expect(kept.map(\.kind) == ["ready", "down", "ready"])
        #expect(kept.map(\.at) == [daysAgo(3), daysAgo(2), daysAgo(1)])
        #expect(try await store.events(nodeID: "n-b").map(\.kind) == ["enrolled"])
        #expect(try await store.pruneNodeEvents(before: daysAgo(30), keepPerNode: 3) == 0)
    }

    @Test func scheduleRunsGoByAgeThenAllButEachSchedulesNewest() async throws {
        for name in ["nightly", "weekly"] {
            try await store.insertSchedule(
                ScheduleRecord(name: name, cron: "@daily", requestJSON: "{}", createdAt: daysAgo(60), createdBy: "test", nextRunAt: now), audit: .test("schedule.add")
            )
        }
        for (name, days) in [("nightly", [40.0, 3, 2, 1]), ("weekly", [2.0, 1])] {
            for day in days {
                try await store.recordScheduleRun(
                    ScheduleRunRecord(scheduleName: name, at: daysAgo(day), outcome: "started", taskID: nil, detail: "day \(Int(day))"), nextRunAt: now, startedTaskID: nil
                )
            }
        }
        #expect(try await store.pruneScheduleRuns(before: daysAgo(30), keepPerSchedule: 2) == 2)
        #expect(try await store.scheduleRuns(name: "nightly", limit: 10)?.map(\.detail) == ["day 1", "day 2"])
        #expect(try await store.scheduleRuns(name: "weekly", limit: 10)?.map(\.detail) == ["day 1", "day 2"])
    }

    /// A task with one delivery on n-a, queued with `envelope` as its signed bundle, then
    /// cancelled; the rollout ends `succeeded` at `finishedAt`, or stays running when nil.
    /// `leaveOut` keeps the delivery pending although the rollout ended.
    func addTask(_ id: String, request: String, envelope: String, finishedAt: Date?, leaveOut: Bool = false) async throws {
        let delivery = DeliveryRecord(id: "d-" + id, taskID: id, nodeID: "n-a", position: 0, isCanary: false, createdAt: daysAgo(100))
        try await store.createTask(
            TaskRecord(id: id, name: id, createdAt: daysAgo(100), createdBy: "test", requestJSON: request, total: 1), deliveries: [delivery], audit: .test("task.create")
        )
        #expect(try await store.setRolloutStatus(taskID: id, to: .running, reason: nil, now: daysAgo(100)))
        if !leaveOut {
            #expect(try await store.queue(deliveryID: delivery.id, now: daysAgo(100)) { _, _ in envelope } != nil)
            _ = try await store.transition(
                deliveryID: delivery.id, from: [.queued], to: .cancelled, now: daysAgo(100), errorCode: nil, message: nil, notBefore: nil, countAttempt: false
            )
        }
        if let finishedAt { #expect(try await store.setRolloutStatus(taskID: id, to: .succeeded, reason: nil, now: finishedAt)) }
    }

    @Test func onlyFinishedTasksWithNothingOutAreListedAndDeleted() async throws {
        try await enroll("n-a", at: daysAgo(100))
        // Bytes are UTF-8 bytes, not characters.
        let request = "{\"name\":\"café\"}"
        let envelope = "{\"payload\":\"ü\"}"
        try await addTask("t-old", request: request, envelope: envelope, finishedAt: daysAgo(20))
        try await addTask("t-new", request: "{}", envelope: "{}", finishedAt: daysAgo(10))
        try await addTask("t-out", request: "{}", envelope: "{}", finishedAt: daysAgo(30), leaveOut: true)
        try await addTask("t-open", request: "{}", envelope: "{}", finishedAt: nil)

        let finished = try await store.finishedTasks()
        #expect(finished == [
            FinishedTaskFootprint(taskID: "t-old", finishedAt: daysAgo(20), storedBytes: Int64(request.utf8.count + envelope.utf8.count)),
            FinishedTaskFootprint(taskID: "t-new", finishedAt: daysAgo(10), storedBytes: 4),
        ])
        // Whatever the caller asks, the store deletes only what is finished, with its deliveries.
        #expect(try await store.deleteFinishedTasks(ids: ["t-old", "t-out", "t-open", "t-none"]) == 1)
        #expect(try await store.task(id: "t-old") == nil)
        #expect(try await store.deliveries(taskID: "t-old").isEmpty)
        #expect(Set(try await store.tasks(limit: 10).map(\.id)) == ["t-new", "t-out", "t-open"])
        #expect(try await store.deleteFinishedTasks(ids: []) == 0)
    }
}
