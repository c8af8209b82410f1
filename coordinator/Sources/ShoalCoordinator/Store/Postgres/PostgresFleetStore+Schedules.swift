import Foundation
import PostgresNIO
import ShoalCore

extension PostgresFleetStore {
    public func insertSchedule(_ schedule: ScheduleRecord, audit: AuditEntry) async throws {
        try await write { transaction in
            do {
                try await transaction.insert(schedule, into: "schedules")
            } catch where Self.sqlState(error) == "23505" {
                throw ScheduleRecord.nameTaken(schedule.name)
            }
            try await Self.appendAudit(audit, in: transaction)
        }
    }

    public func schedules() async throws -> StoredSchedules {
        try await read { transaction in
            var stored = StoredSchedules()
            // Row by row: a row that does not decode is reported beside the others, not thrown.
            // Names sort byte by byte, as SQLite sorts them, whatever the database's collation.
            let rows = try await transaction.connection.query("SELECT * FROM schedules ORDER BY name COLLATE \"C\"", logger: transaction.logger)
            for try await row in rows {
                do {
                    stored.readable.append(try PostgresRowDecoder.decode(ScheduleRecord.self, from: row))
                } catch {
                    let cells = row.makeRandomAccess()
                    stored.appendUnreadable(name: try? cells["name"].decode(String.self), cron: try? cells["cron"].decode(String.self), error: error)
                }
            }
            return stored
        }
    }

    public func deleteSchedule(name: String, audit: AuditEntry) async throws -> Bool {
        try await write { transaction in
            guard try await transaction.execute("DELETE FROM schedules WHERE name = \(name) RETURNING 1") == 1 else { return false }
            try await Self.appendAudit(audit, in: transaction)
            return true
        }
    }

    public func recordScheduleRun(_ run: ScheduleRunRecord, nextRunAt: Date, startedTaskID: String?) async throws {
        try await write { transaction in
            guard var schedule = try await transaction.fetchOne(ScheduleRecord.self, "SELECT * FROM schedules WHERE name = \(run.scheduleName)") else { return }
            try await transaction.insert(run, into: "schedule_runs")
            schedule.recordRun(run, nextRunAt: nextRunAt, startedTaskID: startedTaskID)
            try await transaction.update(schedule, in: "schedules", key: ["name"])
        }
    }

    public func scheduleRuns(name: String, limit: Int) async throws -> [ScheduleRunRecord]? {
        try await snapshot { transaction in
            let runs = try await transaction.fetchAll(
                ScheduleRunRecord.self, "SELECT * FROM schedule_runs WHERE scheduleName = \(name) ORDER BY id DESC LIMIT \(limit)"
            )
            if runs.isEmpty, try await transaction.execute("SELECT 1 FROM schedules WHERE name = \(name)") == 0 { return nil }
            return runs
        }
    }
}
