import Foundation
import ShoalCore

/// What a heartbeat's answer needs from the store, read in the heartbeat's own write: the
/// node's status after it, its label version, the label statement only when the node's copy
/// is behind, and the deliveries an operator asked the node to cancel.
public struct HeartbeatOutcome: Sendable, Equatable {
    public var status: NodeRecord.Status
    public var labelsVersion: Int
    /// The signed label statement, only when `labelsVersion` is above what the node holds.
    public var labelStatement: DSSEEnvelope?
    public var cancellations: [String]

    public init(status: NodeRecord.Status, labelsVersion: Int, labelStatement: DSSEEnvelope?, cancellations: [String]) {
        self.status = status
        self.labelsVersion = labelsVersion
        self.labelStatement = labelStatement
        self.cancellations = cancellations
    }
}
