import Foundation
import GRDB
import ShoalCore

extension SQLiteMigrations {
    /// `v6-audit-chain`: the hash-chained audit log and the key-use counts.
    ///
    /// `audit_chain` holds one sealed `AuditLink` per row, appended in the transaction of the
    /// change it records. The free-text `audit_log` of earlier versions stays readable
    /// (`audit list --legacy`) and is frozen: the chain's first entry, `audit.chain_started`,
    /// records how many rows it had and their digest, which `audit verify` checks.
    ///
    /// Triggers refuse UPDATE and DELETE on `audit_chain` and any write to `audit_log`. They
    /// stop mistakes, not an attacker (who can drop them); the chain is what shows tampering.
    static func auditChain(_ db: Database) throws {
        try db.create(table: "audit_chain") { t in
            t.primaryKey("seq", .integer)
            t.column("at", .text).notNull()
            t.column("actor", .text).notNull()
            t.column("action", .text).notNull()
            t.column("link", .text).notNull()
            t.column("hash", .text).notNull()
        }
        try db.create(index: "audit_chain_by_at", on: "audit_chain", columns: ["at"])
        try db.create(index: "audit_chain_by_actor", on: "audit_chain", columns: ["actor"])
        try db.create(index: "audit_chain_by_action", on: "audit_chain", columns: ["action"])
        try db.create(table: "key_use") { t in
            t.column("keyID", .text).notNull()
            t.column("use", .text).notNull()
            t.column("count", .integer).notNull()
            t.column("firstUsedAt", .datetime).notNull()
            t.column("lastUsedAt", .datetime).notNull()
            t.primaryKey(["keyID", "use"])
        }

        let legacy = try LegacyAuditRecord.order(Column("id")).fetchAll(db).map(\.row)
        try SQLiteFleetStore.appendAudit(AuditEntry(
            actor: "coordinator", role: AuditEntry.coordinatorRole, action: "audit.chain_started",
            result: legacy.isEmpty ? "chain started" : "chain started after \(legacy.count) free-text row(s) in audit_log",
            details: [LegacyAuditRow.countDetail: "\(legacy.count)", LegacyAuditRow.digestDetail: try LegacyAuditRow.digest(legacy)]
        ), in: db)

        for (name, table, event, message) in [
            ("audit_chain_no_update", "audit_chain", "UPDATE", "audit_chain is append-only"),
            ("audit_chain_no_delete", "audit_chain", "DELETE", "audit_chain is append-only"),
            ("audit_log_frozen_insert", "audit_log", "INSERT", "audit_log is frozen: audit entries go to audit_chain"),
            ("audit_log_frozen_update", "audit_log", "UPDATE", "audit_log is frozen"),
            ("audit_log_frozen_delete", "audit_log", "DELETE", "audit_log is frozen"),
        ] {
            try db.execute(sql: "CREATE TRIGGER \(name) BEFORE \(event) ON \(table) BEGIN SELECT RAISE(ABORT, '\(message)'); END")
        }
    }
}
