import Foundation
import ShoalCore

/// What one `/metrics` scrape reports about the fleet, read in one transaction: each node's
/// identity, status, labels and latest heartbeat figures, and rollouts and deliveries counted
/// by state. A scrape costs this one read whatever the fleet's size.
public struct FleetMetricsSnapshot: Sendable {
    /// The columns of `nodes` a scrape needs (not facts, certificates or statements).
    public struct Node: Sendable, Decodable {
        public var id: String
        public var hostname: String
        public var status: NodeRecord.Status
        public var labelsJSON: String
        public var lastHeartbeatAt: Date?
        public var metricsJSON: String?

        public init(id: String, hostname: String, status: NodeRecord.Status, labelsJSON: String = "{}", lastHeartbeatAt: Date? = nil, metricsJSON: String? = nil) {
            self.id = id
            self.hostname = hostname
            self.status = status
            self.labelsJSON = labelsJSON
            self.lastHeartbeatAt = lastHeartbeatAt
            self.metricsJSON = metricsJSON
        }

        /// The operator-set labels (never the node's claimed ones).
        public var labels: [String: String] {
            (try? WireCoding.decode([String: String].self, from: Data(labelsJSON.utf8))) ?? [:]
        }

        /// The latest heartbeat's figures; nil before the first or when the row cannot be read.
        public var metrics: NodeMetrics? {
            metricsJSON.flatMap { try? WireCoding.decode(NodeMetrics.self, from: Data($0.utf8)) }
        }
    }

    public var nodes: [Node]
    /// Stored rollouts (tasks) by status; finished ones leave when retention prunes them.
    public var rollouts: [RolloutStatus: Int]
    /// Stored deliveries by status, pruned with their task.
    public var deliveries: [NodeTaskStatus: Int]

    public init(nodes: [Node], rollouts: [RolloutStatus: Int] = [:], deliveries: [NodeTaskStatus: Int] = [:]) {
        self.nodes = nodes
        self.rollouts = rollouts
        self.deliveries = deliveries
    }
}
