import GRDB

/// `NodeMetricMinuteRecord` as a GRDB record of `node_metric_minutes`: columns are its property names (Codable).
extension NodeMetricMinuteRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "node_metric_minutes"
}
