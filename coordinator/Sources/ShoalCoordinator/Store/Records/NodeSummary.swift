import Foundation

/// A node's name and status without the rest of its row: what the rollout engine (is the
/// node still there?) and a task view (which host is this?) need for thousands of nodes at
/// once, where decoding whole `NodeRecord`s (facts, metrics, labels) was most of the cost.
public struct NodeSummary: Sendable, Equatable {
    public var id: String
    public var hostname: String
    public var status: NodeRecord.Status

    public init(id: String, hostname: String, status: NodeRecord.Status) {
        self.id = id
        self.hostname = hostname
        self.status = status
    }
}
