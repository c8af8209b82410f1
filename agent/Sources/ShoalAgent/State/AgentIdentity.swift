import Foundation
import ShoalCore

/// What enrollment leaves behind in the state directory: who this node is and whom it trusts.
/// The private key sits beside it in `node.key` (0600) and is never sent anywhere.
public struct AgentIdentity: Codable, Sendable, Equatable {
    public var nodeID: String
    /// The coordinator URLs from the config the node enrolled with (never empty).
    public var coordinatorURLs: [String]
    public var labels: [String: String]
    public var bundleKeys: [TrustedBundleKey]
    public var enrolledAt: Date

    public init(nodeID: String, coordinatorURLs: [String], labels: [String: String], bundleKeys: [TrustedBundleKey], enrolledAt: Date) {
        self.nodeID = nodeID
        self.coordinatorURLs = coordinatorURLs
        self.labels = labels
        self.bundleKeys = bundleKeys
        self.enrolledAt = enrolledAt
    }

    enum CodingKeys: String, CodingKey {
        case nodeID, coordinatorURLs, coordinatorURL, labels, bundleKeys, enrolledAt
    }

    /// Agents before failover wrote one `coordinatorURL`: such a state directory still loads.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        nodeID = try container.decode(String.self, forKey: .nodeID)
        if let urls = try container.decodeIfPresent([String].self, forKey: .coordinatorURLs), !urls.isEmpty {
            coordinatorURLs = urls
        } else {
            coordinatorURLs = [try container.decode(String.self, forKey: .coordinatorURL)]
        }
        labels = try container.decode([String: String].self, forKey: .labels)
        bundleKeys = try container.decode([TrustedBundleKey].self, forKey: .bundleKeys)
        enrolledAt = try container.decode(Date.self, forKey: .enrolledAt)
    }

    /// Writes the first URL as `coordinatorURL` as well, so an older agent binary put back on
    /// the node (a downgrade) still reads its identity.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(nodeID, forKey: .nodeID)
        try container.encode(coordinatorURLs, forKey: .coordinatorURLs)
        try container.encodeIfPresent(coordinatorURLs.first, forKey: .coordinatorURL)
        try container.encode(labels, forKey: .labels)
        try container.encode(bundleKeys, forKey: .bundleKeys)
        try container.encode(enrolledAt, forKey: .enrolledAt)
    }
}
