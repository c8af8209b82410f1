import Foundation

/// What `FleetStore.claimRollouts` answers: the rollouts this replica drives now, and what it
/// knows of the others' leases, so it asks again only when something can have changed.
public struct RolloutClaim: Sendable {
    /// The unfinished tasks leased to the claiming replica, oldest first.
    public var tasks: [TaskRecord]
    /// Unfinished tasks leased to other replicas, by id.
    public var heldElsewhere: Set<String>
    /// When the soonest of those leases runs out (nil: none): the moment to claim again, in
    /// case that replica died.
    public var soonestElsewhereExpiry: Date?

    public init(tasks: [TaskRecord], heldElsewhere: Set<String> = [], soonestElsewhereExpiry: Date? = nil) {
        self.tasks = tasks
        self.heldElsewhere = heldElsewhere
        self.soonestElsewhereExpiry = soonestElsewhereExpiry
    }
}
