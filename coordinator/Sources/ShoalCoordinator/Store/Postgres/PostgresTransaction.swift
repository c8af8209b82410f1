import Foundation
import Logging
import PostgresNIO
import ShoalCore

/// One transaction (or, for `PostgresFleetStore.read`, one connection's autocommit
/// statements) of the PostgreSQL store: queries that map rows to the store's records by
/// column name, a generic INSERT and UPDATE of a record, and work to run once it commits.
struct PostgresTransaction: Sendable {
    let connection: PostgresConnection
    let logger: Logger
    let commitHooks: CommitHooks

    /// Closures to run after the transaction commits (signals to in-memory waiters), never
    /// after a rollback or a retried attempt.
    final class CommitHooks: @unchecked Sendable {
        // Used by one transaction at a time, sequentially: no lock needed.
        private(set) var hooks: [@Sendable () -> Void] = []
        func append(_ hook: @escaping @Sendable () -> Void) { hooks.append(hook) }
    }

    func afterCommit(_ hook: @escaping @Sendable () -> Void) { commitHooks.append(hook) }

    /// `begin`, then `body`, then COMMIT; ROLLBACK when `body` or the commit throws.
    func transaction<T>(begin: PostgresQuery, _ body: (PostgresTransaction) async throws -> T) async throws -> T {
        try await execute(begin)
        do {
            let result = try await body(self)
            try await execute("COMMIT")
            return result
        } catch {
            _ = try? await execute("ROLLBACK")
            throw error
        }
    }

    /// Runs a statement; returns how many rows it produced (use `RETURNING 1` to count what
    /// an UPDATE or DELETE touched).
    @discardableResult
    func execute(_ query: PostgresQuery) async throws -> Int {
        var count = 0
        for try await _ in try await connection.query(query, logger: logger) { count += 1 }
        return count
    }

    func fetchAll<Record: Decodable>(_ type: Record.Type, _ query: PostgresQuery) async throws -> [Record] {
        var records: [Record] = []
        for try await row in try await connection.query(query, logger: logger) {
            records.append(try PostgresRowDecoder.decode(Record.self, from: row))
        }
        return records
    }

    func fetchOne<Record: Decodable>(_ type: Record.Type, _ query: PostgresQuery) async throws -> Record? {
        try await fetchAll(type, query).first
    }

    /// The first column of every row.
    func column<Value: PostgresDecodable>(_ type: Value.Type, _ query: PostgresQuery) async throws -> [Value] {
        var values: [Value] = []
        for try await row in try await connection.query(query, logger: logger) {
            guard let cell = row.first else { continue }
            values.append(try cell.decode(Value.self))
        }
        return values
    }

    /// The first column of the first row; nil when there is no row (or it is NULL).
    func scalar<Value: PostgresDecodable>(_ type: Value.Type, _ query: PostgresQuery) async throws -> Value? {
        for try await row in try await connection.query(query, logger: logger) {
            guard let cell = row.first, cell.bytes != nil else { return nil }
            return try cell.decode(Value.self)
        }
        return nil
    }

    /// Inserts `record` into `table`, one column per property. Columns whose value is nil
    /// are left to the table's default (NULL, or an identity for `id`).
    func insert(_ record: some Encodable, into table: String) async throws {
        _ = try await connection.query(Self.insertQuery(record, into: table, returning: nil), logger: logger).collect()
    }

    /// Inserts many records of one type, a few hundred rows per statement, every column given
    /// (nil as NULL): one round trip per batch, not per row.
    func insertAll<Record: Encodable>(_ records: [Record], into table: String) async throws {
        guard let first = records.first else { return }
        let names = try PostgresRowEncoder.columns(of: first).map(\.name)
        let perStatement = max(1, 30_000 / max(names.count, 1))
        for start in stride(from: 0, to: records.count, by: perStatement) {
            var binds = PostgresBindings()
            var rows: [String] = []
            for record in records[start..<min(start + perStatement, records.count)] {
                let columns = try PostgresRowEncoder.columns(of: record)
                guard columns.map(\.name) == names else { throw ShoalError(.internalError, "records for \(table) differ in their columns") }
                var placeholders: [String] = []
                for column in columns {
                    column.value.bind(into: &binds)
                    placeholders.append("$\(binds.count)")
                }
                rows.append("(" + placeholders.joined(separator: ", ") + ")")
            }
            let sql = "INSERT INTO \(table) (\(names.joined(separator: ", "))) VALUES \(rows.joined(separator: ", "))"
            _ = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).collect()
        }
    }

    /// Inserts and returns the identity the table assigned (`node_events.id`, …).
    func insertReturningID(_ record: some Encodable, into table: String, id: String = "id") async throws -> Int64 {
        guard let assigned = try await scalar(Int64.self, Self.insertQuery(record, into: table, returning: id)) else {
            throw ShoalError(.storage, "inserting into \(table) returned no \(id)")
        }
        return assigned
    }

    /// Writes every column of `record` to the row whose `key` columns match.
    func update(_ record: some Encodable, in table: String, key: [String]) async throws {
        let columns = try PostgresRowEncoder.columns(of: record)
        var binds = PostgresBindings(capacity: columns.count)
        var sets: [String] = []
        var wheres: [String] = []
        for column in columns where !key.contains(column.name) {
            column.value.bind(into: &binds)
            sets.append("\(column.name) = $\(binds.count)")
        }
        for name in key {
            guard let column = columns.first(where: { $0.name == name }) else {
                throw ShoalError(.internalError, "a \(table) record has no key column \(name)")
            }
            column.value.bind(into: &binds)
            wheres.append("\(name) = $\(binds.count)")
        }
        let sql = "UPDATE \(table) SET \(sets.joined(separator: ", ")) WHERE \(wheres.joined(separator: " AND "))"
        _ = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).collect()
    }

    static func insertQuery(_ record: some Encodable, into table: String, returning: String?) throws -> PostgresQuery {
        let columns = try PostgresRowEncoder.columns(of: record).filter {
            if case .null = $0.value { return false }
            return true
        }
        var binds = PostgresBindings(capacity: columns.count)
        for column in columns { column.value.bind(into: &binds) }
        let placeholders = (1...max(columns.count, 1)).prefix(columns.count).map { "$\($0)" }
        var sql = "INSERT INTO \(table) (\(columns.map(\.name).joined(separator: ", "))) VALUES (\(placeholders.joined(separator: ", ")))"
        if let returning { sql += " RETURNING \(returning)" }
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }
}

extension PostgresTransaction {
    /// `NOTIFY channel, payload`: delivered to every listening replica when (and only if) the
    /// transaction commits; PostgreSQL folds identical notifications of one transaction.
    func notify(_ channel: String, payload: String) async throws {
        try await execute("SELECT pg_notify(\(channel), \(payload))")
    }
}
