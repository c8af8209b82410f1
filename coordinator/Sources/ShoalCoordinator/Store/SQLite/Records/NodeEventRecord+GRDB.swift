import GRDB

/// `NodeEventRecord` as a GRDB record of `node_events`: columns are its property names (Codable).
extension NodeEventRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "node_events"

    /// Takes the row id SQLite assigned, so the inserted value knows its `id`.
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
