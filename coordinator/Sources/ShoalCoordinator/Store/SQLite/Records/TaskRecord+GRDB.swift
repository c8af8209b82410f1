import GRDB

/// `TaskRecord` as a GRDB record of `tasks`: columns are its property names (Codable).
extension TaskRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "tasks"
}
