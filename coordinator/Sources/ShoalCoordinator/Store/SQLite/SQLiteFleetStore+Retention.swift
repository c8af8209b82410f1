import Foundation
import GRDB
import ShoalCore

/// What the storage pruner deletes. Each method is one transaction and re-checks in SQL that
/// what it deletes is finished, whatever the caller read before.
extension SQLiteFleetStore {
    static let finishedStatuses = RolloutStatus.allCases.filter(\.isFinal).map(\.rawValue)
    /// A task the rollout gave up on can still have deliveries out (failed with some pending,
    /// or sent to a node that has not answered): those are not finished yet.
    static let noOpenDeliveries = """
        NOT EXISTS (SELECT 1 FROM deliveries o WHERE o.taskID = tasks.id AND o.status IN (\(NodeTaskStatus.allCases.filter { !$0.isFinal }.map { "'\($0.rawValue)'" }.joined(separator: ", "))))
        """

    public func finishedTasks() async throws -> [FinishedTaskFootprint] {
        try await pool.read { db in
            let statuses = Self.finishedStatuses.map { "'\($0)'" }.joined(separator: ", ")
            let rows = try Row.fetchAll(db, sql: """
                SELECT t.id AS id, COALESCE(t.finishedAt, t.createdAt) AS finishedAt, t.statementJSON AS statementJSON,
                       LENGTH(CAST(t.requestJSON AS BLOB))
                       + COALESCE(SUM(COALESCE(LENGTH(CAST(d.resultJSON AS BLOB)), 0) + COALESCE(LENGTH(CAST(d.envelopeJSON AS BLOB)), 0)), 0) AS bytes
                FROM tasks t LEFT JOIN deliveries d ON d.taskID = t.id
                WHERE t.status IN (\(statuses)) AND \(Self.noOpenDeliveries.replacingOccurrences(of: "tasks.id", with: "t.id"))
                GROUP BY t.id
                ORDER BY finishedAt, t.id
                """)
            return try rows.map { row in
                FinishedTaskFootprint(
                    taskID: try row.decode(String.self, forColumn: "id"), finishedAt: try row.decode(Date.self, forColumn: "finishedAt"),
                    storedBytes: try row.decode(Int64.self, forColumn: "bytes"), signedUntil: FinishedTaskFootprint.signedUntil(statementJSON: row["statementJSON"])
                )
            }
        }
    }

    public func deleteFinishedTasks(ids: [String]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await pool.write { db in
            // Deliveries go with their task (ON DELETE CASCADE).
            try TaskRecord.filter(ids.contains(Column("id")) && Self.finishedStatuses.contains(Column("status")))
                .filter(sql: Self.noOpenDeliveries).deleteAll(db)
        }
    }

    public func pruneNodeEvents(before cutoff: Date, keepPerNode: Int) async throws -> Int {
        try await pool.write { db in
            try NodeEventRecord.filter(Column("at") < cutoff).deleteAll(db)
            let byAge = db.changesCount
            try db.execute(sql: """
                DELETE FROM node_events WHERE id IN (
                    SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY nodeID ORDER BY id DESC) AS newest FROM node_events)
                    WHERE newest > ?)
                """, arguments: [keepPerNode])
            return byAge + db.changesCount
        }
    }

    public func pruneScheduleRuns(before cutoff: Date, keepPerSchedule: Int) async throws -> Int {
        try await pool.write { db in
            try ScheduleRunRecord.filter(Column("at") < cutoff).deleteAll(db)
            let byAge = db.changesCount
            try db.execute(sql: """
                DELETE FROM schedule_runs WHERE id IN (
                    SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY scheduleName ORDER BY id DESC) AS newest FROM schedule_runs)
                    WHERE newest > ?)
                """, arguments: [keepPerSchedule])
            return byAge + db.changesCount
        }
    }
}
