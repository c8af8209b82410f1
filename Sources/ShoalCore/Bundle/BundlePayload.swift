import Foundation
import Crypto

/// What a signed bundle says: which node runs it, in what order, what steps.
/// Serialized with sorted keys and carried base64 inside a `DSSEEnvelope`.
public struct BundlePayload: Codable, Sendable, Equatable {
    public static let payloadType = "application/vnd.shoal.bundle+json"
    public static let currentVersion = 1

    public var version: Int
    public var bundleID: String
    public var taskID: String
    public var nodeID: String
    /// Per node, strictly increasing. An agent refuses any bundle not above its stored high-water mark.
    public var sequence: Int64
    public var issuedAt: Date
    public var expiresAt: Date
    /// How long the whole bundle may run on the node; steps past it are stopped.
    public var timeoutSeconds: Int
    /// Check mode: every step reports what it would change and changes nothing.
    public var checkMode: Bool
    public var steps: [StepSpec]
    /// Files steps refer to by SHA-256 (hex). Content is base64.
    public var files: [BundleFile]
    /// Steps run once, in this order, after `steps` when a changed step notified them by name.
    public var handlers: [StepSpec]?
    /// The task's variables; string parameters are rendered with them, the node's facts and labels.
    public var vars: [String: JSONValue]?
    /// The node's labels when the bundle was signed, for `when` conditions and templates.
    public var labels: [String: String]?

    public init(
        bundleID: String, taskID: String, nodeID: String, sequence: Int64,
        issuedAt: Date, expiresAt: Date, timeoutSeconds: Int, checkMode: Bool = false, steps: [StepSpec], files: [BundleFile] = [],
        handlers: [StepSpec]? = nil, vars: [String: JSONValue]? = nil, labels: [String: String]? = nil
    ) {
        self.version = Self.currentVersion
        self.bundleID = bundleID
        self.taskID = taskID
        self.nodeID = nodeID
        self.sequence = sequence
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.timeoutSeconds = timeoutSeconds
        self.checkMode = checkMode
        self.steps = steps
        self.files = files
        self.handlers = handlers
        self.vars = vars
        self.labels = labels
    }

    /// Signs this payload into an envelope.
    public func signed(with key: BundleSigningKey) throws -> DSSEEnvelope {
        try key.sign(payload: WireCoding.encode(self), payloadType: Self.payloadType)
    }
}

public struct BundleFile: Codable, Sendable, Equatable {
    public var sha256: String
    public var content: String

    public init(data: Data) {
        self.sha256 = Crypto.SHA256.hash(data: data).hexString
        self.content = data.base64EncodedString()
    }
}
