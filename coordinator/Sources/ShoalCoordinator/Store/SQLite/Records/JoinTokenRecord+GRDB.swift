import GRDB

/// `JoinTokenRecord` as a GRDB record of `join_tokens`: columns are its property names (Codable).
extension JoinTokenRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "join_tokens"
}
