import Foundation
import Testing

@testable import ShoalCoordinator

/// When the rollout engine claims: only when something can have changed, so an idle
/// coordinator, or one whose rollouts are all leased and fresh, writes nothing.
@Suite struct RolloutLeasesTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func task(_ id: String) -> TaskRecord {
        TaskRecord(id: id, name: id, createdAt: now, createdBy: "test", requestJSON: "{}", total: 0)
    }

    @Test func claimsOnlyWhenSomethingCanHaveChanged() {
        var leases = RolloutLeases(holder: "a", duration: 60)
        #expect(!leases.needsClaim(unfinished: [], now: now), "no rollout, no write")
        #expect(leases.needsClaim(unfinished: ["t-1"], now: now))

        let gained = leases.record(RolloutClaim(tasks: [task("t-1")], heldElsewhere: ["t-2"], soonestElsewhereExpiry: now.addingTimeInterval(50)), at: now)
        #expect(gained == ["t-1"])
        #expect(!leases.needsClaim(unfinished: ["t-1", "t-2"], now: now.addingTimeInterval(10)))
        #expect(leases.needsClaim(unfinished: ["t-1", "t-2", "t-3"], now: now.addingTimeInterval(10)), "a rollout nobody holds yet")
        #expect(leases.needsClaim(unfinished: ["t-1", "t-2"], now: now.addingTimeInterval(20)), "renewal at a third of the lease")
        #expect(!leases.needsClaim(unfinished: ["t-2"], now: now.addingTimeInterval(20)), "nothing of its own left to renew")
        #expect(leases.needsClaim(unfinished: ["t-2"], now: now.addingTimeInterval(50)), "the other replica's lease ran out")
        #expect(leases.nextWake == now.addingTimeInterval(20))

        // Taken over: gained again only what is new to it.
        #expect(leases.record(RolloutClaim(tasks: [task("t-1"), task("t-2")]), at: now.addingTimeInterval(50)) == ["t-2"])
        #expect(leases.nextWake == now.addingTimeInterval(70))
        _ = leases.record(RolloutClaim(tasks: []), at: now.addingTimeInterval(60))
        #expect(leases.nextWake == nil, "holding nothing and nothing held elsewhere: no wake for leases")
    }
}
