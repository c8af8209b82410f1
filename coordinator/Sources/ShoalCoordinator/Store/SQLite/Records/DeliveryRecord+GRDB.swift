import GRDB

/// `DeliveryRecord` as a GRDB record of `deliveries`: columns are its property names (Codable).
extension DeliveryRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "deliveries"
}
