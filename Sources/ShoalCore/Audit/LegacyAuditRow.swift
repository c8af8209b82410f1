import Foundation

/// A row of the free-text `audit_log` written before the audit chain existed. Those rows are
/// kept, readable, and frozen: the chain's first entry (`audit.chain_started`) records how
/// many there were and their digest, so `audit verify` notices when one changes.
public struct LegacyAuditRow: Codable, Sendable, Equatable {
    public var id: Int64
    public var at: Date
    public var actor: String
    public var action: String
    public var detail: String

    public init(id: Int64, at: Date, actor: String, action: String, detail: String) {
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.detail = detail
    }

    /// Lower-case hex SHA-256 of the rows, in id order, as one `WireCoding` JSON array.
    public static func digest(_ rows: [LegacyAuditRow]) throws -> String {
        try WireCoding.encode(rows.sorted { $0.id < $1.id }).sha256Hex
    }

    /// Detail names in the `audit.chain_started` entry.
    public static let countDetail = "legacyRows"
    public static let digestDetail = "legacyDigest"
}
