import Foundation
import GRDB
import ShoalCore

/// The metric history: a point per node and minute, and the same minutes summed per hour as
/// they are written, so an hour costs one upsert per minute and usage over months reads only
/// hour rows.
extension SQLiteFleetStore {
    /// In the heartbeat's transaction, after the node's row is written. Only the first
    /// heartbeat of a minute writes (one primary-key probe for the others), and only it reads
    /// the core count out of the node's facts (in SQLite, not by decoding them).
    static func recordMetricPoint(_ db: Database, nodeID: String, point: MetricPoint) throws {
        let exists = try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM node_metric_minutes WHERE nodeID = ? AND at = ?"), arguments: [nodeID, point.at]) ?? false
        guard !exists else { return }
        let cores = try Int.fetchOne(
            db.cachedStatement(sql: "SELECT json_extract(factsJSON, '$.cpuCount') FROM nodes WHERE id = ? AND json_valid(factsJSON)"), arguments: [nodeID]
        )
        try NodeMetricMinuteRecord(nodeID: nodeID, point: point, cpuCores: cores).insert(db)
        let busyCores = cores.map { point.cpuPercent / 100 * Double($0) } ?? 0
        try db.execute(sql: """
            INSERT INTO node_metric_hours (nodeID, at, minutes, gpuMinutes, cpuCoreMinutes, cpuPercentSum, load1Sum,
                memoryUsedBytesSum, memoryTotalBytes, rootDiskUsedBytesSum, rootDiskTotalBytes, gpuCountMax,
                gpuUtilizationSum, gpuUtilizationMinutes, gpuMemoryUsedMiBSum, gpuMemoryMinutes, gpuTemperatureMaxC,
                gpuPowerDrawWSum, gpuPowerMinutes)
            VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (nodeID, at) DO UPDATE SET
                minutes = minutes + 1,
                gpuMinutes = gpuMinutes + excluded.gpuMinutes,
                cpuCoreMinutes = cpuCoreMinutes + excluded.cpuCoreMinutes,
                cpuPercentSum = cpuPercentSum + excluded.cpuPercentSum,
                load1Sum = load1Sum + excluded.load1Sum,
                memoryUsedBytesSum = memoryUsedBytesSum + excluded.memoryUsedBytesSum,
                memoryTotalBytes = excluded.memoryTotalBytes,
                rootDiskUsedBytesSum = rootDiskUsedBytesSum + excluded.rootDiskUsedBytesSum,
                rootDiskTotalBytes = excluded.rootDiskTotalBytes,
                gpuCountMax = MAX(gpuCountMax, excluded.gpuCountMax),
                gpuUtilizationSum = gpuUtilizationSum + excluded.gpuUtilizationSum,
                gpuUtilizationMinutes = gpuUtilizationMinutes + excluded.gpuUtilizationMinutes,
                gpuMemoryUsedMiBSum = gpuMemoryUsedMiBSum + excluded.gpuMemoryUsedMiBSum,
                gpuMemoryMinutes = gpuMemoryMinutes + excluded.gpuMemoryMinutes,
                gpuTemperatureMaxC = CASE WHEN gpuTemperatureMaxC IS NULL THEN excluded.gpuTemperatureMaxC
                    WHEN excluded.gpuTemperatureMaxC IS NULL THEN gpuTemperatureMaxC
                    ELSE MAX(gpuTemperatureMaxC, excluded.gpuTemperatureMaxC) END,
                gpuPowerDrawWSum = gpuPowerDrawWSum + excluded.gpuPowerDrawWSum,
                gpuPowerMinutes = gpuPowerMinutes + excluded.gpuPowerMinutes
            """, arguments: [
                nodeID, MetricPoint.hour(of: point.at), point.gpuCount, busyCores, point.cpuPercent, point.load1,
                Double(point.memoryUsedBytes), Int64(clamping: point.memoryTotalBytes), Double(point.rootDiskUsedBytes),
                Int64(clamping: point.rootDiskTotalBytes), point.gpuCount,
                point.gpuUtilizationPercent ?? 0, point.gpuUtilizationPercent == nil ? 0 : 1,
                point.gpuMemoryUsedMiB.map(Double.init) ?? 0, point.gpuMemoryUsedMiB == nil ? 0 : 1, point.gpuTemperatureMaxC,
                point.gpuPowerDrawW ?? 0, point.gpuPowerDrawW == nil ? 0 : 1,
            ])
    }

    public func metricPoints(nodeID: String, since: Date, until: Date, resolution: MetricHistoryResponse.Resolution) async throws -> [MetricPoint] {
        try await pool.read { db in
            switch resolution {
            case .minute:
                return try NodeMetricMinuteRecord.filter(Column("nodeID") == nodeID && Column("at") >= since && Column("at") < until)
                    .order(Column("at")).fetchAll(db).map(\.point)
            case .hour:
                return try NodeMetricHourRecord.filter(Column("nodeID") == nodeID && Column("at") >= MetricPoint.hour(of: since) && Column("at") < until)
                    .order(Column("at")).fetchAll(db).map(\.point)
            }
        }
    }

    public func usage(since: Date, until: Date) async throws -> [NodeUsage] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT nodeID, SUM(minutes) AS minutes, SUM(gpuMinutes) AS gpuMinutes, SUM(cpuCoreMinutes) AS cpuCoreMinutes,
                       SUM(memoryUsedBytesSum) AS memoryByteMinutes
                FROM node_metric_hours WHERE at >= ? AND at < ? GROUP BY nodeID ORDER BY nodeID
                """, arguments: [since, until]).map { row in
                NodeUsage(
                    nodeID: row["nodeID"], minutes: row["minutes"], gpuMinutes: row["gpuMinutes"],
                    cpuCoreMinutes: row["cpuCoreMinutes"], memoryByteMinutes: row["memoryByteMinutes"]
                )
            }
        }
    }

    public func pruneMetricHistory(minutesBefore: Date, hoursBefore: Date) async throws -> Int {
        try await pool.write { db in
            try NodeMetricMinuteRecord.filter(Column("at") < minutesBefore).deleteAll(db)
                + NodeMetricHourRecord.filter(Column("at") < hoursBefore).deleteAll(db)
        }
    }
}
