import GRDB

/// `KeyUseRecord` as a GRDB record of `key_use`: columns are its property names (Codable).
extension KeyUseRecord: FetchableRecord, PersistableRecord {
    static let databaseTableName = "key_use"
}
