import Foundation

/// The rollout engine's view of its leases (`FleetStore.claimRollouts`): which rollouts it
/// drives, and when it must claim again. Claiming is a write, so the engine claims only when
/// something can have changed — a rollout no replica holds yet, a lease due for renewal, or
/// another replica's lease running out — not on every pass. An idle coordinator writes nothing.
struct RolloutLeases: Sendable {
    /// This replica, as recorded in each lease it holds.
    let holder: String
    /// How long a lease lasts without renewal: how long a dead replica's rollouts wait.
    let duration: TimeInterval
    private(set) var mine: Set<String> = []
    private(set) var elsewhere: Set<String> = []
    private(set) var soonestElsewhereExpiry: Date?
    private(set) var renewedAt: Date?

    init(holder: String, duration: TimeInterval) {
        self.holder = holder
        self.duration = duration
    }

    /// A third of the lease: two chances to renew before it runs out, even after a slow pass.
    var renewalDue: Date? {
        guard let renewedAt, !mine.isEmpty else { return nil }
        return renewedAt.addingTimeInterval(duration / 3)
    }

    /// Whether to claim before driving `unfinished` (the ids of every unfinished rollout).
    func needsClaim(unfinished: Set<String>, now: Date) -> Bool {
        guard renewedAt != nil else { return !unfinished.isEmpty }
        if let due = renewalDue, now >= due, !mine.isDisjoint(with: unfinished) { return true }
        if let expiry = soonestElsewhereExpiry, now >= expiry { return true }
        return !unfinished.isSubset(of: mine.union(elsewhere))
    }

    /// Takes in a claim made at `now`; returns the rollouts it newly holds (taken over from a
    /// replica whose lease ran out, or never held before), which want a pass at once.
    mutating func record(_ claim: RolloutClaim, at now: Date) -> Set<String> {
        let held = Set(claim.tasks.map(\.id))
        let gained = held.subtracting(mine)
        mine = held
        elsewhere = claim.heldElsewhere
        soonestElsewhereExpiry = claim.soonestElsewhereExpiry
        renewedAt = now
        return gained
    }

    /// When the engine must wake for its leases even if nothing else happens: to renew its
    /// own, or to take over another replica's that runs out. Nil: never.
    var nextWake: Date? {
        [renewalDue, soonestElsewhereExpiry].compactMap { $0 }.min()
    }
}
