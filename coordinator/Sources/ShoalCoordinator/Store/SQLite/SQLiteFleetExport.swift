import Foundation
import GRDB

/// Reads a whole SQLite fleet database, table by table in batches, from one WAL snapshot, for
/// `coordinator db copy` (`FleetStoreCopier`). Rows come out as the store's records, which
/// the PostgreSQL side writes with the same column names. Work leases are not copied: they
/// belong to the processes that held them, and those are stopped for a copy.
struct SQLiteFleetExport: Sendable {
    struct Table: Sendable {
        var name: String
        /// Reads rows `offset..<offset+limit` in a stable order.
        var fetch: @Sendable (Database, _ offset: Int, _ limit: Int) throws -> [any Encodable & Sendable]
    }

    /// Parents before children (deliveries name tasks and nodes).
    static let tables: [Table] = [
        table("join_tokens", JoinTokenRecord.self, order: "id"),
        table("nodes", NodeRecord.self, order: "id"),
        table("tasks", TaskRecord.self, order: "id"),
        table("deliveries", DeliveryRecord.self, order: "id"),
        table("audit_log", LegacyAuditRecord.self, order: "id"),
        table("node_events", NodeEventRecord.self, order: "id"),
        table("schedules", ScheduleRecord.self, order: "name"),
        table("schedule_runs", ScheduleRunRecord.self, order: "id"),
        table("trust_documents", TrustDocumentRecord.self, order: "version"),
        table("operator_credentials", OperatorCredentialRecord.self, order: "serial"),
        table("audit_chain", AuditChainRecord.self, order: "seq"),
        table("key_use", KeyUseRecord.self, order: "keyID, use"),
        table("node_metric_minutes", NodeMetricMinuteRecord.self, order: "nodeID, at"),
        table("node_metric_hours", NodeMetricHourRecord.self, order: "nodeID, at"),
    ]

    private static func table<Record: FetchableRecord & Encodable & Sendable>(_ name: String, _ type: Record.Type, order: String) -> Table {
        Table(name: name) { db, offset, limit in
            try Record.fetchAll(db, sql: "SELECT * FROM \(name) ORDER BY \(order) LIMIT ? OFFSET ?", arguments: [limit, offset])
        }
    }

    let snapshot: DatabaseSnapshot

    /// A snapshot of the store's file as it is now (the store migrates it to the newest schema first).
    init(store: SQLiteFleetStore) throws {
        snapshot = try store.pool.database.makeSnapshot()
    }

    func rows(of table: Table, offset: Int, limit: Int) throws -> [any Encodable & Sendable] {
        try snapshot.read { db in try table.fetch(db, offset, limit) }
    }

    func count(of table: Table) throws -> Int {
        try snapshot.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table.name)") ?? 0 }
    }
}
