import Foundation
import GRDB
import ShoalCore

extension SQLiteFleetStore {
    /// Appends `entry` to the audit chain inside the caller's write transaction. The head is
    /// read under SQLite's write lock (`pool.write` is serialized), so two changes cannot chain
    /// onto the same entry; if the transaction rolls back, so does the entry. This is all a
    /// backend does: `AuditLink` computes the link and its hash.
    static func appendAudit(_ entry: AuditEntry, in db: Database) throws {
        let head = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1")
            .map { AuditHead(seq: $0["seq"], hash: $0["hash"]) }
        try AuditChainRecord(AuditLink(after: head, entry: entry)).insert(db)
    }

    public func appendAudit(_ entry: AuditEntry) async throws {
        try await pool.write { db in try Self.appendAudit(entry, in: db) }
    }

    public func auditEntries(_ query: AuditQuery) async throws -> [AuditLogEntry] {
        try await pool.read { db in
            var request = AuditChainRecord.all()
            if let since = query.since { request = request.filter(Column("at") >= Timestamp.format(since)) }
            if let actor = query.actor { request = request.filter(Column("actor") == actor) }
            if let action = query.action {
                if action.hasSuffix(".*") {
                    let prefix = String(action.dropLast())
                    request = request.filter(sql: "substr(action, 1, ?) = ?", arguments: [prefix.count, prefix])
                } else {
                    request = request.filter(Column("action") == action)
                }
            }
            let limit = max(query.limit, 1)
            if let after = query.after {
                return try request.filter(Column("seq") > after).order(Column("seq")).limit(limit).fetchAll(db).map(\.view)
            }
            return try request.order(Column("seq").desc).limit(limit).fetchAll(db).reversed().map(\.view)
        }
    }

    public func auditHead() async throws -> AuditHead? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1").map { AuditHead(seq: $0["seq"], hash: $0["hash"]) }
        }
    }

    public func legacyAuditRows() async throws -> [LegacyAuditRow] {
        try await pool.read { db in try LegacyAuditRecord.order(Column("id")).fetchAll(db).map(\.row) }
    }

    public func addKeyUse(_ counts: [KeyUseCount]) async throws {
        guard !counts.isEmpty else { return }
        try await pool.write { db in
            for count in counts {
                try db.execute(
                    sql: """
                        INSERT INTO key_use (keyID, use, count, firstUsedAt, lastUsedAt) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (keyID, use) DO UPDATE SET count = count + excluded.count,
                            firstUsedAt = min(firstUsedAt, excluded.firstUsedAt), lastUsedAt = max(lastUsedAt, excluded.lastUsedAt)
                        """,
                    arguments: [count.keyID, count.use.rawValue, count.count, count.firstAt, count.lastAt]
                )
            }
        }
    }

    public func keyUse() async throws -> [KeyUseView] {
        try await pool.read { db in
            try KeyUseRecord.order(Column("keyID"), Column("use")).fetchAll(db).map(\.view)
        }
    }
}
