import Foundation
import Logging
import PostgresNIO
import ShoalCore

/// PostgreSQL schema migrations, applied in order and recorded in `shoal_migrations`. A
/// shipped migration is never edited: change the schema with a new one, here and in
/// `SQLiteMigrations` alike. `v1-fleet` is the SQLite schema as of its `v14`, so a database
/// copied from SQLite (`coordinator db copy`) needs no history.
///
/// Column names are the records' property names, unquoted: PostgreSQL folds them to lower
/// case, and `PostgresRowDecoder` folds its lookups the same way.
enum PostgresMigrations {
    /// `pg_advisory_xact_lock` key: replicas starting together migrate one after the other.
    static let lockKey: Int64 = 0x5348_4F41_4C4D_4947 // "SHOALMIG"

    static let migrations: [(name: String, statements: [String])] = [
        ("v1-fleet", PostgresSchema.v1),
        ("v2-step-outputs", PostgresSchema.v2),
        ("v3-heartbeats-in-place", PostgresSchema.v3),
    ]

    /// Applies what is missing; returns the names of the migrations it applied, in order.
    @discardableResult
    static func migrate(on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        try await PostgresTransaction(connection: connection, logger: logger, commitHooks: .init()).transaction(begin: "BEGIN") { transaction in
            var done: [String] = []
            try await transaction.execute("SELECT pg_advisory_xact_lock(\(lockKey))")
            try await transaction.execute("CREATE TABLE IF NOT EXISTS shoal_migrations (name TEXT PRIMARY KEY, appliedAt TIMESTAMPTZ NOT NULL)")
            let applied = Set(try await transaction.column(String.self, "SELECT name FROM shoal_migrations"))
            let known = Set(migrations.map(\.name))
            if let unknown = applied.subtracting(known).sorted().first {
                throw ShoalError(.storage, "the database has migration \(unknown), which this coordinator does not know: it was migrated by a newer coordinator; run that version (or newer) on every replica")
            }
            for migration in migrations where !applied.contains(migration.name) {
                for statement in migration.statements {
                    try await transaction.execute(PostgresQuery(unsafeSQL: statement))
                }
                if migration.name == "v1-fleet" { try await startAuditChain(transaction) }
                try await transaction.execute("INSERT INTO shoal_migrations (name, appliedAt) VALUES (\(migration.name), \(Date()))")
                done.append(migration.name)
            }
            return done
        }
    }

    /// The chain's first entry, as SQLite's v6 writes it: a fresh PostgreSQL database has no
    /// free-text rows before it.
    static func startAuditChain(_ transaction: PostgresTransaction) async throws {
        try await PostgresFleetStore.appendAudit(AuditEntry(
            actor: "coordinator", role: AuditEntry.coordinatorRole, action: "audit.chain_started", result: "chain started",
            details: [LegacyAuditRow.countDetail: "0", LegacyAuditRow.digestDetail: try LegacyAuditRow.digest([])]
        ), in: transaction)
    }

    /// Applied migrations, for `coordinator db status`.
    static func applied(_ store: PostgresFleetStore) async throws -> [String] {
        try await store.read { try await $0.column(String.self, "SELECT name FROM shoal_migrations ORDER BY appliedAt, name") }
    }
}
