import Foundation
import PostgresNIO
import ShoalCore

/// What the storage pruner deletes, as `SQLiteFleetStore+Retention`. Each method is one
/// transaction and re-checks in SQL that what it deletes is finished, whatever the caller
/// read before.
extension PostgresFleetStore {
    static let finishedRolloutStatuses = RolloutStatus.allCases.filter(\.isFinal).map(\.rawValue)
    static let unfinishedDeliveryStatuses = NodeTaskStatus.allCases.filter { !$0.isFinal }.map(\.rawValue)

    /// Bytes are counted as stored (octet_length of the UTF-8 text), as SQLite's LENGTH of the BLOB cast.
    public func finishedTasks() async throws -> [FinishedTaskFootprint] {
        try await read { transaction in
            // A task the rollout gave up on can still have deliveries out (failed with some
            // pending, or sent to a node that has not answered): those are not finished yet.
            let rows = try await transaction.fetchAll(FootprintRow.self, """
                SELECT t.id AS id, COALESCE(t.finishedAt, t.createdAt) AS finishedAt, t.statementJSON AS statementJSON,
                       (octet_length(t.requestJSON)
                        + COALESCE(SUM(COALESCE(octet_length(d.resultJSON), 0) + COALESCE(octet_length(d.envelopeJSON), 0)), 0))::bigint AS bytes
                FROM tasks t LEFT JOIN deliveries d ON d.taskID = t.id
                WHERE t.status = ANY(\(Self.finishedRolloutStatuses))
                  AND NOT EXISTS (SELECT 1 FROM deliveries o WHERE o.taskID = t.id AND o.status = ANY(\(Self.unfinishedDeliveryStatuses)))
                GROUP BY t.id
                ORDER BY finishedAt, t.id COLLATE "C"
                """)
            return rows.map { row in
                FinishedTaskFootprint(
                    taskID: row.id, finishedAt: row.finishedAt, storedBytes: row.bytes,
                    signedUntil: FinishedTaskFootprint.signedUntil(statementJSON: row.statementJSON)
                )
            }
        }
    }

    public func deleteFinishedTasks(ids: [String]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await write { transaction in
            // Deliveries go with their task (ON DELETE CASCADE).
            try await transaction.execute("""
                DELETE FROM tasks WHERE id = ANY(\(ids)) AND status = ANY(\(Self.finishedRolloutStatuses))
                  AND NOT EXISTS (SELECT 1 FROM deliveries o WHERE o.taskID = tasks.id AND o.status = ANY(\(Self.unfinishedDeliveryStatuses)))
                RETURNING 1
                """)
        }
    }

    public func pruneNodeEvents(before cutoff: Date, keepPerNode: Int) async throws -> Int {
        try await write { try await Self.prune("node_events", per: "nodeID", before: cutoff, keep: keepPerNode, in: $0) }
    }

    public func pruneScheduleRuns(before cutoff: Date, keepPerSchedule: Int) async throws -> Int {
        try await write { try await Self.prune("schedule_runs", per: "scheduleName", before: cutoff, keep: keepPerSchedule, in: $0) }
    }

    /// Deletes the rows of `table` (an `id` identity and an `at` time) older than `cutoff`,
    /// then all but the newest `keep` of each `per` group; returns how many went.
    private static func prune(_ table: String, per group: String, before cutoff: Date, keep: Int, in transaction: PostgresTransaction) async throws -> Int {
        var binds = PostgresBindings()
        binds.append(cutoff)
        binds.append(keep)
        let sql = """
            WITH old AS (DELETE FROM \(table) WHERE at < $1 RETURNING 1),
                 surplus AS (
                     DELETE FROM \(table) WHERE id IN (
                         SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY \(group) ORDER BY id DESC) AS newest FROM \(table) WHERE at >= $1) ranked
                         WHERE newest > $2)
                     RETURNING 1)
            SELECT (SELECT COUNT(*) FROM old) + (SELECT COUNT(*) FROM surplus)
            """
        return Int(try await transaction.scalar(Int64.self, PostgresQuery(unsafeSQL: sql, binds: binds)) ?? 0)
    }
}

private struct FootprintRow: Decodable {
    var id: String
    var finishedAt: Date
    var statementJSON: String?
    var bytes: Int64
}
