import Foundation
import PostgresNIO
import ShoalCore

extension PostgresFleetStore {
    /// Writes rows as they are, ids included, into an empty fleet database (`FleetStoreCopier`).
    struct Importer: Sendable {
        let transaction: PostgresTransaction

        func insert(_ row: some Encodable, into table: String) async throws {
            try await transaction.insert(row, into: table)
        }
    }

    /// The tables that must be empty before an import: all of them, but the audit chain's
    /// first entry, which the migration wrote and the copied chain replaces.
    static let importedTables = [
        "join_tokens", "nodes", "tasks", "deliveries", "audit_log", "node_events", "schedules", "schedule_runs",
        "trust_documents", "operator_credentials", "key_use", "node_metric_minutes", "node_metric_hours", "work_leases",
    ]

    /// Runs `body` in one transaction on an empty database with the append-only guards lifted
    /// (the copied chain and legacy log are written as they were), then moves the id
    /// sequences past the copied ids. Refused, changing nothing, when the database holds a fleet.
    func importing<T: Sendable>(_ body: @Sendable (Importer) async throws -> T) async throws -> T {
        try await write { transaction in
            for table in Self.importedTables {
                if try await transaction.scalar(Int64.self, PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM \(table)")) ?? 0 > 0 {
                    throw ShoalError(.conflict, "the PostgreSQL database \(location) already holds a fleet (\(table) has rows); copy into a new, empty database")
                }
            }
            if try await transaction.scalar(Int64.self, "SELECT COUNT(*) FROM audit_chain") ?? 0 > 1 {
                throw ShoalError(.conflict, "the PostgreSQL database \(location) already holds an audit chain; copy into a new, empty database")
            }
            try await transaction.execute("ALTER TABLE audit_chain DISABLE TRIGGER audit_chain_no_change")
            try await transaction.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_frozen")
            try await transaction.execute("DELETE FROM audit_chain")
            let result = try await body(Importer(transaction: transaction))
            try await transaction.execute("ALTER TABLE audit_chain ENABLE TRIGGER audit_chain_no_change")
            try await transaction.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_frozen")
            for table in ["audit_log", "node_events", "schedule_runs"] {
                try await transaction.execute(PostgresQuery(unsafeSQL: """
                    SELECT setval(pg_get_serial_sequence('\(table)', 'id'), COALESCE((SELECT MAX(id) FROM \(table)), 0) + 1, false)
                    """))
            }
            return result
        }
    }

    func rowCount(_ table: String) async throws -> Int {
        Int(try await read { try await $0.scalar(Int64.self, PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM \(table)")) } ?? 0)
    }
}
