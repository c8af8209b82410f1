/// What an audited change was done to. Only the fields that apply are set; absent ones are
/// left out of the hashed JSON, so a field added later changes no existing entry's hash.
public struct AuditTarget: Codable, Sendable, Equatable {
    public var nodes: [String]?
    public var task: String?
    public var schedule: String?
    public var token: String?
    /// An operator credential (by name).
    public var `operator`: String?
    /// A key (by key id), for changes to keys themselves.
    public var key: String?

    public init(
        nodes: [String]? = nil, task: String? = nil, schedule: String? = nil, token: String? = nil, operator: String? = nil, key: String? = nil
    ) {
        self.nodes = nodes
        self.task = task
        self.schedule = schedule
        self.token = token
        self.operator = `operator`
        self.key = key
    }

    /// Short text for a table cell: `task t-1a2b; 3 node(s)`.
    public var summary: String {
        var parts: [String] = []
        if let task { parts.append("task \(task)") }
        if let schedule { parts.append("schedule \(schedule)") }
        if let token { parts.append("token \(token)") }
        if let name = `operator` { parts.append("operator \(name)") }
        if let key { parts.append("key \(key)") }
        if let nodes {
            parts.append(nodes.count <= 3 ? "node \(nodes.joined(separator: ","))" : "\(nodes.count) nodes (\(nodes.prefix(2).joined(separator: ",")),…)")
        }
        return parts.joined(separator: "; ")
    }
}
