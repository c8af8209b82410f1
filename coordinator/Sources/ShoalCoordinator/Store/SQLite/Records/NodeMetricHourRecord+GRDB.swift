import GRDB

/// `NodeMetricHourRecord` as a GRDB record of `node_metric_hours`: columns are its property names (Codable).
extension NodeMetricHourRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "node_metric_hours"
}
