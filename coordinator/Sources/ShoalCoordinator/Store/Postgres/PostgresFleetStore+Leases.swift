import Foundation
import PostgresNIO
import ShoalCore

/// Work claimed in the database, so that several coordinators on one store never both drive
/// a rollout or both start a schedule's run: each claim is one SERIALIZABLE write, so two
/// replicas claiming at once are put in an order (the later one retried) and see each other's
/// leases.
extension PostgresFleetStore {
    /// A row of `work_leases`, as far as a claim reads it.
    private struct Lease: Decodable {
        var key: String
        var expiresAt: Date
    }

    public func claimRollouts(holder: String, now: Date, until: Date) async throws -> RolloutClaim {
        try await write { transaction in
            let unfinished = TaskRecord.unfinishedRawValues
            try await transaction.execute("""
                DELETE FROM work_leases WHERE kind = 'rollout' AND key NOT IN (SELECT id FROM tasks WHERE status = ANY(\(unfinished)))
                """)
            // One statement decides every lease: free ones are taken, run-out ones taken over,
            // the holder's own renewed; a live lease of another replica is left alone.
            try await transaction.execute("""
                INSERT INTO work_leases (kind, key, holder, expiresAt)
                SELECT 'rollout', id, \(holder), \(until) FROM tasks WHERE status = ANY(\(unfinished))
                ON CONFLICT (kind, key) DO UPDATE SET holder = excluded.holder, expiresAt = excluded.expiresAt
                WHERE work_leases.holder = excluded.holder OR work_leases.expiresAt <= \(now)
                """)
            let tasks = try await transaction.fetchAll(TaskRecord.self, """
                SELECT tasks.* FROM tasks JOIN work_leases ON work_leases.kind = 'rollout' AND work_leases.key = tasks.id
                WHERE work_leases.holder = \(holder) ORDER BY tasks.createdAt, tasks.id
                """)
            var claim = RolloutClaim(tasks: tasks)
            for lease in try await transaction.fetchAll(Lease.self, "SELECT key, expiresAt FROM work_leases WHERE kind = 'rollout' AND holder <> \(holder)") {
                claim.heldElsewhere.insert(lease.key)
                claim.soonestElsewhereExpiry = min(claim.soonestElsewhereExpiry ?? lease.expiresAt, lease.expiresAt)
            }
            return claim
        }
    }

    public func releaseRollouts(holder: String) async throws {
        try await write { transaction in
            try await transaction.execute("DELETE FROM work_leases WHERE kind = 'rollout' AND holder = \(holder)")
        }
    }

    public func claimScheduleRun(name: String, slot: Date, next: Date) async throws -> Bool {
        try await write { transaction in
            try await transaction.execute("UPDATE schedules SET nextRunAt = \(next) WHERE name = \(name) AND nextRunAt = \(slot) RETURNING 1") == 1
        }
    }
}
