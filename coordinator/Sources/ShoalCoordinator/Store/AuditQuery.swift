import Foundation

/// Which audit entries to read. Without `after`: the newest `limit` that match, oldest
/// first. With it: the first `limit` that match after entry `after` (to walk the chain).
public struct AuditQuery: Sendable, Equatable {
    public var since: Date?
    /// The actor's name (an operator, `schedule:NAME`, a node id, `coordinator`).
    public var actor: String?
    /// An action (`task.create`), or every action under a prefix (`task.*`).
    public var action: String?
    public var after: Int64?
    public var limit: Int

    /// The most entries one query returns (`GET /v1/audit?limit=`).
    public static let maxLimit = 1000

    public init(since: Date? = nil, actor: String? = nil, action: String? = nil, after: Int64? = nil, limit: Int = 100) {
        self.since = since
        self.actor = actor
        self.action = action
        self.after = after
        self.limit = limit
    }
}
