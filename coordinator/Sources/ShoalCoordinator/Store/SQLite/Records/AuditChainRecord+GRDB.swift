import GRDB

/// `AuditChainRecord` as a GRDB record of `audit_chain`: columns are its property names (Codable).
extension AuditChainRecord: FetchableRecord, PersistableRecord {
    static let databaseTableName = "audit_chain"
}
