import GRDB

/// `LegacyAuditRecord` as a GRDB record of `audit_log`: columns are its property names (Codable).
extension LegacyAuditRecord: FetchableRecord, TableRecord {
    static let databaseTableName = "audit_log"
}
