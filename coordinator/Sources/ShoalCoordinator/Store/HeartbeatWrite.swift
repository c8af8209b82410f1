import Foundation
import ShoalCore

/// One heartbeat as the store records it: `FleetStore.recordHeartbeats` writes many in one
/// transaction, so a burst of beats costs one commit (one fsync) instead of one each.
public struct HeartbeatWrite: Sendable {
    public var nodeID: String
    public var at: Date
    public var metricsJSON: String
    /// Nil when the node's facts did not change since its last heartbeat.
    public var factsJSON: String?
    /// The minute's metric point, when this is the first heartbeat of a minute.
    public var point: MetricPoint?

    public init(nodeID: String, at: Date, metricsJSON: String, factsJSON: String?, point: MetricPoint?) {
        self.nodeID = nodeID
        self.at = at
        self.metricsJSON = metricsJSON
        self.factsJSON = factsJSON
        self.point = point
    }
}
