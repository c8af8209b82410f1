import Foundation

/// The newest link of the audit chain. Copy it off the coordinator now and then:
/// `audit verify --expect-head SEQ:HASH` proves nothing up to it was rewritten since.
public struct AuditHead: Codable, Sendable, Equatable {
    public var seq: Int64
    public var hash: String

    public init(seq: Int64, hash: String) {
        self.seq = seq
        self.hash = hash
    }
}

/// One stored link as `GET /v1/audit` serves it. `canonical` is the exact text that was
/// hashed (verify hashes it; it never trusts `entry`); `entry` is that text decoded, nil when
/// it no longer decodes. `at`, `actor` and `action` are the row's query columns, which verify
/// checks against the hashed entry.
public struct AuditLogEntry: Codable, Sendable {
    public var seq: Int64
    public var hash: String
    public var at: Date
    public var actor: String
    public var action: String
    public var canonical: String
    public var entry: AuditEntry?

    public init(seq: Int64, hash: String, at: Date, actor: String, action: String, canonical: String, entry: AuditEntry?) {
        self.seq = seq
        self.hash = hash
        self.at = at
        self.actor = actor
        self.action = action
        self.canonical = canonical
        self.entry = entry
    }
}

/// `GET /v1/audit` (admin): entries in chain order, and the chain's head.
public struct AuditListResponse: Codable, Sendable {
    public var entries: [AuditLogEntry]
    public var head: AuditHead?

    public init(entries: [AuditLogEntry], head: AuditHead?) {
        self.entries = entries
        self.head = head
    }
}

/// `GET /v1/audit/legacy` (admin): the free-text rows from before the chain.
public struct LegacyAuditResponse: Codable, Sendable {
    public var rows: [LegacyAuditRow]
    public init(rows: [LegacyAuditRow]) { self.rows = rows }
}

/// How often the coordinator used one of its keys for one purpose.
public struct KeyUseView: Codable, Sendable, Equatable {
    public var keyID: String
    /// `delivery.signed` (a bundle signed for a node), `trust.served` (a trust document sent), …
    public var use: String
    public var count: Int64
    public var firstAt: Date
    public var lastAt: Date

    public init(keyID: String, use: String, count: Int64, firstAt: Date, lastAt: Date) {
        self.keyID = keyID
        self.use = use
        self.count = count
        self.firstAt = firstAt
        self.lastAt = lastAt
    }
}

/// `GET /v1/audit/keys` (admin).
public struct KeyUseResponse: Codable, Sendable {
    public var keys: [KeyUseView]
    public init(keys: [KeyUseView]) { self.keys = keys }
}
