import Foundation

/// `GET /v1/nodes/{id}/enrollment` (admin): how a node joined the fleet. `coordinator enroll`
/// checks that the node a host reports was made with the token that run wrote to that host;
/// `coordinator unenroll` checks that the hostname it is about to SSH to still resolves to
/// the address the node enrolled from.
public struct NodeEnrollmentView: Codable, Sendable, Equatable {
    public var nodeID: String
    /// The hostname the node reported when it enrolled (what `unenroll NODE_ID` connects to).
    public var hostname: String
    public var enrolledAt: Date
    /// The join token it used (`tokenID` of `POST /v1/tokens`); nil for nodes enrolled before
    /// this was recorded.
    public var tokenID: String?
    /// The IP address the enrollment request came from, as the coordinator saw it (behind NAT
    /// or a proxy, that of the last hop); nil for nodes enrolled before this was recorded.
    public var enrolledFrom: String?

    public init(nodeID: String, hostname: String, enrolledAt: Date, tokenID: String?, enrolledFrom: String?) {
        self.nodeID = nodeID
        self.hostname = hostname
        self.enrolledAt = enrolledAt
        self.tokenID = tokenID
        self.enrolledFrom = enrolledFrom
    }
}
