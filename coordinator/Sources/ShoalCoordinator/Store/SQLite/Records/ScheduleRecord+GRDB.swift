import GRDB

/// `ScheduleRecord` as a GRDB record of `schedules`: columns are its property names (Codable).
extension ScheduleRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "schedules"
}
