import Foundation
import ShoalCore

/// A row of the free-text `audit_log`, written before the audit chain (`v6-audit-chain`).
/// Read only: the table is frozen, new entries go to `audit_chain` (`AuditChainRecord`).
struct LegacyAuditRecord: Codable, Sendable {
    var id: Int64
    var at: Date
    var actor: String
    var action: String
    var detail: String

    var row: LegacyAuditRow { LegacyAuditRow(id: id, at: at, actor: actor, action: action, detail: detail) }
}
