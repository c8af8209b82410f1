import Foundation

/// A node as operators see it (`GET /v1/nodes`, `GET /v1/nodes/{id}`).
public struct NodeView: Codable, Sendable {
    public var id: String
    public var hostname: String
    /// `ready`, `down` or `revoked`.
    public var status: String
    /// Labels from the join token and operators: the ones selectors match by name.
    public var labels: [String: String]
    /// Labels the node reported about itself; selectors reach them only as `claimed.KEY`.
    /// Absent from coordinators older than this field.
    public var claimedLabels: [String: String]?
    /// 0 for the join token's labels; each signed label change raises it by one.
    public var labelsVersion: Int?
    public var enrolledAt: Date
    public var lastHeartbeatAt: Date?
    public var facts: NodeFacts?
    public var metrics: NodeMetrics?
    public var certificateExpiresAt: Date?
    /// The coordinator URL the node's last heartbeat said it uses; the node's word, for
    /// display. Absent until an agent that reports it beats.
    public var coordinatorURL: String?

    public init(
        id: String, hostname: String, status: String, labels: [String: String], claimedLabels: [String: String]? = nil, labelsVersion: Int? = nil, enrolledAt: Date,
        lastHeartbeatAt: Date?, facts: NodeFacts?, metrics: NodeMetrics?, certificateExpiresAt: Date?, coordinatorURL: String? = nil
    ) {
        self.coordinatorURL = coordinatorURL
        self.id = id
        self.hostname = hostname
        self.status = status
        self.labels = labels
        self.claimedLabels = claimedLabels
        self.labelsVersion = labelsVersion
        self.enrolledAt = enrolledAt
        self.lastHeartbeatAt = lastHeartbeatAt
        self.facts = facts
        self.metrics = metrics
        self.certificateExpiresAt = certificateExpiresAt
    }
}

public struct NodeListResponse: Codable, Sendable {
    public var nodes: [NodeView]
    public init(nodes: [NodeView]) { self.nodes = nodes }
}
