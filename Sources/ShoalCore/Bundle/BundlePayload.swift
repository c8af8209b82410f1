import Foundation
import Crypto

/// What a verified bundle runs: the node and sequence from the coordinator's delivery, the
/// steps, handlers, variables and files from the operator's signed task, and the labels the
/// node itself holds. Made by `BundleVerifier` from the two signed layers; never signed or
/// sent as such.
public struct BundlePayload: Codable, Sendable, Equatable {
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
    /// The node's own labels, for `when` conditions and templates.
    public var labels: [String: String]?

    public init(
        bundleID: String, taskID: String, nodeID: String, sequence: Int64,
        issuedAt: Date, expiresAt: Date, timeoutSeconds: Int, checkMode: Bool = false, steps: [StepSpec], files: [BundleFile] = [],
        handlers: [StepSpec]? = nil, vars: [String: JSONValue]? = nil, labels: [String: String]? = nil
    ) {
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
}

public struct BundleFile: Codable, Sendable, Equatable {
    public var sha256: String
    public var content: String

    public init(data: Data) {
        self.sha256 = Crypto.SHA256.hash(data: data).hexString
        self.content = data.base64EncodedString()
    }
}
