import Foundation
import ShoalCore

/// What enrollment leaves behind in the state directory: who this node is and whom it trusts.
/// The private key sits beside it in `node.key` (0600) and is never sent anywhere.
public struct AgentIdentity: Codable, Sendable, Equatable {
    public var nodeID: String
    public var coordinatorURL: String
    public var labels: [String: String]
    public var bundleKeys: [TrustedBundleKey]
    public var enrolledAt: Date

    public init(nodeID: String, coordinatorURL: String, labels: [String: String], bundleKeys: [TrustedBundleKey], enrolledAt: Date) {
        self.nodeID = nodeID
        self.coordinatorURL = coordinatorURL
        self.labels = labels
        self.bundleKeys = bundleKeys
        self.enrolledAt = enrolledAt
    }
}
