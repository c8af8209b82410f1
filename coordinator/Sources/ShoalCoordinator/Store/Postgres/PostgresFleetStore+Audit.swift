import Foundation
import PostgresNIO
import ShoalCore

extension PostgresFleetStore {
    /// `pg_advisory_xact_lock` key that serializes appends to the audit chain.
    static let auditLockKey: Int64 = 0x5348_4F41_4C41_5544 // "SHOALAUD"

    /// Appends `entry` to the audit chain inside the caller's write transaction. Replicas
    /// append concurrently, so the head is read under a transaction-scoped advisory lock: two
    /// changes cannot chain onto the same entry, and a rollback takes the entry with it.
    static func appendAudit(_ entry: AuditEntry, in transaction: PostgresTransaction) async throws {
        try await transaction.execute("SELECT pg_advisory_xact_lock(\(auditLockKey))")
        let head = try await transaction.fetchOne(AuditHead.self, "SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1")
        try await transaction.insert(try AuditChainRecord(AuditLink(after: head, entry: entry)), into: "audit_chain")
    }

    public func appendAudit(_ entry: AuditEntry) async throws {
        try await write { try await Self.appendAudit(entry, in: $0) }
    }

    public func auditEntries(_ query: AuditQuery) async throws -> [AuditLogEntry] {
        try await read { transaction in
            var binds = PostgresBindings()
            var conditions: [String] = []
            func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
                binds.append(value)
                return "$\(binds.count)"
            }
            if let since = query.since { conditions.append("at >= \(bind(Timestamp.format(since)))") }
            if let actor = query.actor { conditions.append("actor = \(bind(actor))") }
            if let action = query.action {
                if action.hasSuffix(".*") {
                    let prefix = String(action.dropLast())
                    conditions.append("substr(action, 1, \(bind(prefix.count))) = \(bind(prefix))")
                } else {
                    conditions.append("action = \(bind(action))")
                }
            }
            if let after = query.after { conditions.append("seq > \(bind(after))") }
            let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            let limit = bind(max(query.limit, 1))
            // Paging forward from `after`, oldest first; otherwise the newest `limit`, returned oldest first.
            let order = query.after == nil ? "DESC" : "ASC"
            let sql = "SELECT * FROM audit_chain\(filter) ORDER BY seq \(order) LIMIT \(limit)"
            let records = try await transaction.fetchAll(AuditChainRecord.self, PostgresQuery(unsafeSQL: sql, binds: binds))
            return (query.after == nil ? records.reversed() : records).map(\.view)
        }
    }

    public func auditHead() async throws -> AuditHead? {
        try await read { try await $0.fetchOne(AuditHead.self, "SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1") }
    }

    public func legacyAuditRows() async throws -> [LegacyAuditRow] {
        try await read { try await $0.fetchAll(LegacyAuditRecord.self, "SELECT * FROM audit_log ORDER BY id").map(\.row) }
    }

    public func addKeyUse(_ counts: [KeyUseCount]) async throws {
        guard !counts.isEmpty else { return }
        try await write { transaction in
            for count in counts {
                try await transaction.execute("""
                    INSERT INTO key_use (keyID, use, count, firstUsedAt, lastUsedAt)
                    VALUES (\(count.keyID), \(count.use.rawValue), \(Int64(count.count)), \(count.firstAt), \(count.lastAt))
                    ON CONFLICT (keyID, use) DO UPDATE SET count = key_use.count + excluded.count,
                        firstUsedAt = LEAST(key_use.firstUsedAt, excluded.firstUsedAt),
                        lastUsedAt = GREATEST(key_use.lastUsedAt, excluded.lastUsedAt)
                    """)
            }
        }
    }

    public func keyUse() async throws -> [KeyUseView] {
        try await read { try await $0.fetchAll(KeyUseRecord.self, "SELECT * FROM key_use ORDER BY keyID, use").map(\.view) }
    }
}
