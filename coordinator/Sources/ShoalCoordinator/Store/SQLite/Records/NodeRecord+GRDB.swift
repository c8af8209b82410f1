import GRDB

/// `NodeRecord` as a GRDB record of `nodes`: columns are its property names (Codable).
extension NodeRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "nodes"
}
