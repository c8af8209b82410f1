import GRDB

/// `OperatorCredentialRecord` as a GRDB record of `operator_credentials`: columns are its property names (Codable).
extension OperatorCredentialRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "operator_credentials"
}
