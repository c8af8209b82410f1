import GRDB

/// `ScheduleRunRecord` as a GRDB record of `schedule_runs`: columns are its property names (Codable).
extension ScheduleRunRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "schedule_runs"

    /// Takes the row id SQLite assigned, so the inserted value knows its `id`.
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
