import GRDB

extension SQLiteMigrations {
    /// v10: each node's metrics over time, a point per minute and a sum per hour
    /// (`NodeMetricMinuteRecord`, `NodeMetricHourRecord`); pruned by age (`retention`).
    static func metricHistory(_ db: Database) throws {
        try db.create(table: "node_metric_minutes") { t in
            t.column("nodeID", .text).notNull()
            t.column("at", .datetime).notNull()
            t.column("cpuPercent", .double).notNull()
            t.column("cpuCores", .integer)
            t.column("load1", .double).notNull()
            t.column("memoryUsedBytes", .integer).notNull()
            t.column("memoryTotalBytes", .integer).notNull()
            t.column("rootDiskUsedBytes", .integer).notNull()
            t.column("rootDiskTotalBytes", .integer).notNull()
            t.column("gpuCount", .integer).notNull()
            t.column("gpuUtilizationPercent", .double)
            t.column("gpuMemoryUsedMiB", .integer)
            t.column("gpuTemperatureMaxC", .double)
            t.column("gpuPowerDrawW", .double)
            t.primaryKey(["nodeID", "at"])
        }
        try db.create(index: "node_metric_minutes_at", on: "node_metric_minutes", columns: ["at"])
        try db.create(table: "node_metric_hours") { t in
            t.column("nodeID", .text).notNull()
            t.column("at", .datetime).notNull()
            t.column("minutes", .integer).notNull()
            t.column("gpuMinutes", .integer).notNull()
            t.column("cpuCoreMinutes", .double).notNull()
            t.column("cpuPercentSum", .double).notNull()
            t.column("load1Sum", .double).notNull()
            t.column("memoryUsedBytesSum", .double).notNull()
            t.column("memoryTotalBytes", .integer).notNull()
            t.column("rootDiskUsedBytesSum", .double).notNull()
            t.column("rootDiskTotalBytes", .integer).notNull()
            t.column("gpuCountMax", .integer).notNull()
            t.column("gpuUtilizationSum", .double).notNull()
            t.column("gpuUtilizationMinutes", .integer).notNull()
            t.column("gpuMemoryUsedMiBSum", .double).notNull()
            t.column("gpuMemoryMinutes", .integer).notNull()
            t.column("gpuTemperatureMaxC", .double)
            t.column("gpuPowerDrawWSum", .double).notNull()
            t.column("gpuPowerMinutes", .integer).notNull()
            t.primaryKey(["nodeID", "at"])
        }
        try db.create(index: "node_metric_hours_at", on: "node_metric_hours", columns: ["at"])
    }
}
