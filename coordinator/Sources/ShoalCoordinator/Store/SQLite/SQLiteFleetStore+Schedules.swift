import Foundation
import GRDB
import ShoalCore

extension SQLiteFleetStore {
    public func insertSchedule(_ schedule: ScheduleRecord, audit: AuditEntry) async throws {
        try await pool.write { db in
            guard try ScheduleRecord.fetchOne(db, key: schedule.name) == nil else {
                throw ScheduleRecord.nameTaken(schedule.name)
            }
            try schedule.insert(db)
            try Self.appendAudit(audit, in: db)
        }
    }

    public func schedules() async throws -> StoredSchedules {
        try await pool.read { db in
            var stored = StoredSchedules()
            // Row by row: a row that does not decode is reported beside the others, not thrown.
            for row in try Row.fetchAll(db, sql: "SELECT * FROM schedules ORDER BY name") {
                do {
                    stored.readable.append(try ScheduleRecord(row: row))
                } catch {
                    stored.appendUnreadable(
                        name: try? row.decode(String.self, forColumn: "name"), cron: try? row.decode(String.self, forColumn: "cron"), error: error
                    )
                }
            }
            return stored
        }
    }

    public func deleteSchedule(name: String, audit: AuditEntry) async throws -> Bool {
        try await pool.write { db in
            guard try ScheduleRecord.deleteOne(db, key: name) else { return false }
            try Self.appendAudit(audit, in: db)
            return true
        }
    }

    public func recordScheduleRun(_ run: ScheduleRunRecord, nextRunAt: Date, startedTaskID: String?) async throws {
        try await pool.write { db in
            guard var schedule = try ScheduleRecord.fetchOne(db, key: run.scheduleName) else { return }
            var run = run
            try run.insert(db)
            schedule.recordRun(run, nextRunAt: nextRunAt, startedTaskID: startedTaskID)
            try schedule.update(db)
        }
    }

    public func scheduleRuns(name: String, limit: Int) async throws -> [ScheduleRunRecord]? {
        try await pool.read { db in
            let runs = try ScheduleRunRecord.filter(Column("scheduleName") == name).order(Column("id").desc).limit(limit).fetchAll(db)
            if runs.isEmpty, try !ScheduleRecord.exists(db, key: name) { return nil }
            return runs
        }
    }
}
