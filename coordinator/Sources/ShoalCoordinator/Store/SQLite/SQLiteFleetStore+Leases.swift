import Foundation
import GRDB
import ShoalCore

/// Work claimed in the database, so that several coordinators on one store never both drive
/// a rollout or both start a schedule's run. Plain SQL that PostgreSQL reads the same way.
extension SQLiteFleetStore {
    public func claimRollouts(holder: String, now: Date, until: Date) async throws -> RolloutClaim {
        try await pool.write { db in
            let unfinished = TaskRecord.unfinishedRawValues
            try db.execute(
                sql: "DELETE FROM work_leases WHERE kind = 'rollout' AND key NOT IN (SELECT id FROM tasks WHERE status IN (?, ?))",
                arguments: StatementArguments(unfinished)
            )
            // One statement decides every lease: free ones are taken, run-out ones taken over,
            // the holder's own renewed; a live lease of another replica is left alone.
            try db.execute(
                sql: """
                    INSERT INTO work_leases (kind, key, holder, expiresAt)
                    SELECT 'rollout', id, ?, ? FROM tasks WHERE status IN (?, ?)
                    ON CONFLICT (kind, key) DO UPDATE SET holder = excluded.holder, expiresAt = excluded.expiresAt
                    WHERE work_leases.holder = excluded.holder OR work_leases.expiresAt <= ?
                    """,
                arguments: [holder, until] + StatementArguments(unfinished) + [now]
            )
            let tasks = try TaskRecord.fetchAll(db, sql: """
                SELECT tasks.* FROM tasks JOIN work_leases ON work_leases.kind = 'rollout' AND work_leases.key = tasks.id
                WHERE work_leases.holder = ? ORDER BY tasks.createdAt
                """, arguments: [holder])
            var claim = RolloutClaim(tasks: tasks)
            for row in try Row.fetchAll(db, sql: "SELECT key, expiresAt FROM work_leases WHERE kind = 'rollout' AND holder <> ?", arguments: [holder]) {
                claim.heldElsewhere.insert(row["key"])
                let expiry: Date = row["expiresAt"]
                claim.soonestElsewhereExpiry = min(claim.soonestElsewhereExpiry ?? expiry, expiry)
            }
            return claim
        }
    }

    public func releaseRollouts(holder: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM work_leases WHERE kind = 'rollout' AND holder = ?", arguments: [holder])
        }
    }

    public func claimScheduleRun(name: String, slot: Date, next: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE schedules SET nextRunAt = ? WHERE name = ? AND nextRunAt = ?", arguments: [next, name, slot])
            return db.changesCount == 1
        }
    }
}
