import Foundation

/// The coordinator's layer of a bundle: one node's delivery of an operator-signed task.
/// Signed by a delivery key of the trust document; everything about *what* runs is inside
/// `statement`, signed by the operator, and the coordinator cannot change it.
public struct DeliveryPayload: Codable, Sendable, Equatable {
    public static let payloadType = "application/vnd.shoal.delivery+json"
    public static let currentVersion = 2

    public var version: Int
    public var bundleID: String
    /// The coordinator's task (rollout) id; a schedule's runs each have their own.
    public var taskID: String
    public var nodeID: String
    /// Per node, strictly increasing. An agent refuses any bundle not above its stored high-water mark.
    public var sequence: Int64
    public var issuedAt: Date
    public var expiresAt: Date
    /// The operator-signed `TaskStatement`.
    public var statement: DSSEEnvelope
    /// The bytes of the files the statement names by hash.
    public var files: [BundleFile]
    /// For a scheduled task: the cron tick this run is for.
    public var scheduledAt: Date?

    public init(
        bundleID: String, taskID: String, nodeID: String, sequence: Int64, issuedAt: Date, expiresAt: Date,
        statement: DSSEEnvelope, files: [BundleFile], scheduledAt: Date? = nil
    ) {
        self.version = Self.currentVersion
        self.bundleID = bundleID
        self.taskID = taskID
        self.nodeID = nodeID
        self.sequence = sequence
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.statement = statement
        self.files = files
        self.scheduledAt = scheduledAt
    }

    public func signed(with key: BundleSigningKey) throws -> DSSEEnvelope {
        try key.sign(payload: WireCoding.encode(self), payloadType: Self.payloadType)
    }
}
