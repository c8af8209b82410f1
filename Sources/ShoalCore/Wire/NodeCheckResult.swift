import Foundation

/// The latest result of one recurring node check, sent with the heartbeat metrics.
public struct NodeCheckResult: Codable, Sendable, Equatable {
    public var name: String
    public var kind: String
    public var healthy: Bool
    /// What was wrong, when unhealthy.
    public var message: String?
    public var checkedAt: Date

    public init(name: String, kind: String, healthy: Bool, message: String?, checkedAt: Date) {
        self.name = name
        self.kind = kind
        self.healthy = healthy
        self.message = message
        self.checkedAt = checkedAt
    }
}
