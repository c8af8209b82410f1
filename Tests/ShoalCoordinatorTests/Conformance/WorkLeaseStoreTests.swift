import Foundation
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// Work claimed in the store by replicas: two stores opened on one database stand for two
/// coordinators (`StoreDatabase.open`; with SQLite two connection pools on one file, whose
/// writes SQLite serializes as a server would). Times are explicit, so a lease runs out
/// without waiting for it.
@Suite struct WorkLeaseStoreTests {
    let one: any FleetStore
    let two: any FleetStore
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    init() async throws {
        let database = try await StoreBackend.current().makeDatabase()
        one = try await database.open()
        two = try await database.open()
    }

    func makeTask(_ id: String, at: Date) async throws {
        try await one.createTask(TaskRecord(id: id, name: id, createdAt: at, createdBy: "test", requestJSON: "{}", total: 0), deliveries: [], audit: .test("task.create"))
    }

    @Test func aRolloutIsDrivenByOneReplicaUntilItsLeaseRunsOut() async throws {
        try await makeTask("t-1", at: now)
        try await makeTask("t-2", at: now.addingTimeInterval(1))

        let first = try await one.claimRollouts(holder: "a", now: now, until: now.addingTimeInterval(60))
        #expect(first.tasks.map(\.id) == ["t-1", "t-2"])
        #expect(first.heldElsewhere.isEmpty && first.soonestElsewhereExpiry == nil)

        // The other replica, a moment later: nothing to drive, and it knows when to look again.
        let second = try await two.claimRollouts(holder: "b", now: now.addingTimeInterval(5), until: now.addingTimeInterval(65))
        #expect(second.tasks.isEmpty)
        #expect(second.heldElsewhere == ["t-1", "t-2"])
        #expect(second.soonestElsewhereExpiry == now.addingTimeInterval(60))

        // Renewed by its holder, the lease lasts; only once it runs out is it taken over.
        _ = try await one.claimRollouts(holder: "a", now: now.addingTimeInterval(20), until: now.addingTimeInterval(80))
        #expect(try await two.claimRollouts(holder: "b", now: now.addingTimeInterval(70), until: now.addingTimeInterval(130)).tasks.isEmpty)
        let takeover = try await two.claimRollouts(holder: "b", now: now.addingTimeInterval(80), until: now.addingTimeInterval(140))
        #expect(takeover.tasks.map(\.id) == ["t-1", "t-2"])

        // The replica that lost them gets nothing back by claiming again while b's lease lives.
        let late = try await one.claimRollouts(holder: "a", now: now.addingTimeInterval(81), until: now.addingTimeInterval(141))
        #expect(late.tasks.isEmpty)
        #expect(late.heldElsewhere == ["t-1", "t-2"])
    }

    @Test func releasedLeasesAreTakenAtOnceAndFinishedRolloutsLoseTheirs() async throws {
        try await makeTask("t-1", at: now)
        try await makeTask("t-2", at: now.addingTimeInterval(1))
        _ = try await one.claimRollouts(holder: "a", now: now, until: now.addingTimeInterval(60))

        #expect(try await one.setRolloutStatus(taskID: "t-2", to: .running, reason: nil, now: now))
        #expect(try await one.setRolloutStatus(taskID: "t-2", to: .succeeded, reason: nil, now: now))
        try await one.releaseRollouts(holder: "a")

        let claim = try await two.claimRollouts(holder: "b", now: now.addingTimeInterval(1), until: now.addingTimeInterval(61))
        #expect(claim.tasks.map(\.id) == ["t-1"], "released at once; a finished rollout is nobody's work")
        #expect(claim.heldElsewhere.isEmpty)
    }

    @Test func racingReplicasNeverBothHoldARollout() async throws {
        for index in 0..<10 { try await makeTask("t-\(index)", at: now.addingTimeInterval(Double(index))) }
        let stores = [one, two]
        let claims = try await withThrowingTaskGroup(of: (String, [String]).self) { group in
            for round in 0..<8 {
                let holder = round % 2 == 0 ? "a" : "b"
                let store = stores[round % 2]
                group.addTask { (holder, try await store.claimRollouts(holder: holder, now: now, until: now.addingTimeInterval(60)).tasks.map(\.id)) }
            }
            return try await group.reduce(into: [String: Set<String>]()) { $0[$1.0, default: []].formUnion($1.1) }
        }
        let a = claims["a"] ?? [], b = claims["b"] ?? []
        #expect(a.isDisjoint(with: b), "a: \(a.sorted()), b: \(b.sorted())")
        #expect(a.union(b).count == 10)
    }

    @Test func aScheduleRunIsClaimedByOneReplicaOnly() async throws {
        let slot = now.addingTimeInterval(-1)
        try await one.insertSchedule(
            ScheduleRecord(name: "backup", cron: "@every 1h", requestJSON: "{}", createdAt: now, createdBy: "test", nextRunAt: slot), audit: .test("schedule.add")
        )
        let next = slot.addingTimeInterval(3600)
        let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<12 {
                let store = index % 2 == 0 ? one : two
                group.addTask { try await store.claimScheduleRun(name: "backup", slot: slot, next: next) }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(wins == 1)
        #expect(try await two.schedules().readable.first?.nextRunAt == next)
        #expect(try await one.claimScheduleRun(name: "backup", slot: next, next: next.addingTimeInterval(3600)))
        #expect(try await one.claimScheduleRun(name: "nobody", slot: slot, next: next) == false)
    }
}
