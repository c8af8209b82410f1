import GRDB

/// `TrustDocumentRecord` as a GRDB record of `trust_documents`: columns are its property names (Codable).
extension TrustDocumentRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "trust_documents"
}
