import Foundation

/// A node's labels as an operator set them, signed on the operator's machine
/// (`coordinator nodes label`). Agents keep their own labels — the join token's, then only
/// what such statements say — so a stolen coordinator cannot move a node into an operator's
/// scope by lying about its labels.
public struct LabelStatement: Codable, Sendable, Equatable {
    public static let payloadType = "application/vnd.shoal.labels+json"

    public var nodeID: String
    /// Above the node's current label version (0: the join token's labels).
    public var version: Int
    /// The node's full label set from now on.
    public var labels: [String: String]
    public var operatorName: String
    public var issuedAt: Date

    public init(nodeID: String, version: Int, labels: [String: String], operatorName: String, issuedAt: Date) {
        self.nodeID = nodeID
        self.version = version
        self.labels = labels
        self.operatorName = operatorName
        self.issuedAt = issuedAt
    }

    public func signed(with key: BundleSigningKey) throws -> DSSEEnvelope {
        try key.sign(payload: WireCoding.encode(self), payloadType: Self.payloadType)
    }
}

/// The labels a node holds as authoritative, and which statement set them.
public struct NodeLabelSet: Codable, Sendable, Equatable {
    public var version: Int
    public var labels: [String: String]

    public init(version: Int, labels: [String: String]) {
        self.version = version
        self.labels = labels
    }
}
