import Foundation
import PostgresNIO
import ShoalCore

/// The metric history, as `SQLiteFleetStore+MetricHistory`: a point per node and minute, and
/// the same minutes summed per hour as they are written.
extension PostgresFleetStore {
    /// In the heartbeat's transaction, after the node's row is written. Only the first
    /// heartbeat of a minute writes (one primary-key probe for the others), and only it reads
    /// the core count out of the node's facts.
    static func recordMetricPoint(_ transaction: PostgresTransaction, nodeID: String, point: MetricPoint) async throws {
        let exists = try await transaction.execute("SELECT 1 FROM node_metric_minutes WHERE nodeID = \(nodeID) AND at = \(point.at)") > 0
        guard !exists else { return }
        // Decoded here rather than cast to jsonb in SQL: text that is not JSON must leave the
        // count unknown, not fail the heartbeat (SQLite's json_valid guard).
        let facts = try await transaction.scalar(String.self, "SELECT factsJSON FROM nodes WHERE id = \(nodeID)")
        let cores = facts.flatMap { try? JSONDecoder().decode(CoreCount.self, from: Data($0.utf8)).cpuCount }
        try await transaction.insert(NodeMetricMinuteRecord(nodeID: nodeID, point: point, cpuCores: cores), into: "node_metric_minutes")
        let busyCores = cores.map { point.cpuPercent / 100 * Double($0) } ?? 0
        // GREATEST skips NULLs: the hour's hottest GPU stays unknown only while every minute's is.
        try await transaction.execute("""
            INSERT INTO node_metric_hours (nodeID, at, minutes, gpuMinutes, cpuCoreMinutes, cpuPercentSum, load1Sum,
                memoryUsedBytesSum, memoryTotalBytes, rootDiskUsedBytesSum, rootDiskTotalBytes, gpuCountMax,
                gpuUtilizationSum, gpuUtilizationMinutes, gpuMemoryUsedMiBSum, gpuMemoryMinutes, gpuTemperatureMaxC,
                gpuPowerDrawWSum, gpuPowerMinutes)
            VALUES (\(nodeID), \(MetricPoint.hour(of: point.at)), 1, \(point.gpuCount), \(busyCores), \(point.cpuPercent), \(point.load1),
                \(Double(point.memoryUsedBytes)), \(Int64(clamping: point.memoryTotalBytes)), \(Double(point.rootDiskUsedBytes)),
                \(Int64(clamping: point.rootDiskTotalBytes)), \(point.gpuCount),
                \(point.gpuUtilizationPercent ?? 0), \(point.gpuUtilizationPercent == nil ? 0 : 1),
                \(point.gpuMemoryUsedMiB.map(Double.init) ?? 0), \(point.gpuMemoryUsedMiB == nil ? 0 : 1), \(point.gpuTemperatureMaxC),
                \(point.gpuPowerDrawW ?? 0), \(point.gpuPowerDrawW == nil ? 0 : 1))
            ON CONFLICT (nodeID, at) DO UPDATE SET
                minutes = node_metric_hours.minutes + 1,
                gpuMinutes = node_metric_hours.gpuMinutes + excluded.gpuMinutes,
                cpuCoreMinutes = node_metric_hours.cpuCoreMinutes + excluded.cpuCoreMinutes,
                cpuPercentSum = node_metric_hours.cpuPercentSum + excluded.cpuPercentSum,
                load1Sum = node_metric_hours.load1Sum + excluded.load1Sum,
                memoryUsedBytesSum = node_metric_hours.memoryUsedBytesSum + excluded.memoryUsedBytesSum,
                memoryTotalBytes = excluded.memoryTotalBytes,
                rootDiskUsedBytesSum = node_metric_hours.rootDiskUsedBytesSum + excluded.rootDiskUsedBytesSum,
                rootDiskTotalBytes = excluded.rootDiskTotalBytes,
                gpuCountMax = GREATEST(node_metric_hours.gpuCountMax, excluded.gpuCountMax),
                gpuUtilizationSum = node_metric_hours.gpuUtilizationSum + excluded.gpuUtilizationSum,
                gpuUtilizationMinutes = node_metric_hours.gpuUtilizationMinutes + excluded.gpuUtilizationMinutes,
                gpuMemoryUsedMiBSum = node_metric_hours.gpuMemoryUsedMiBSum + excluded.gpuMemoryUsedMiBSum,
                gpuMemoryMinutes = node_metric_hours.gpuMemoryMinutes + excluded.gpuMemoryMinutes,
                gpuTemperatureMaxC = GREATEST(node_metric_hours.gpuTemperatureMaxC, excluded.gpuTemperatureMaxC),
                gpuPowerDrawWSum = node_metric_hours.gpuPowerDrawWSum + excluded.gpuPowerDrawWSum,
                gpuPowerMinutes = node_metric_hours.gpuPowerMinutes + excluded.gpuPowerMinutes
            """)
    }

    public func metricPoints(nodeID: String, since: Date, until: Date, resolution: MetricHistoryResponse.Resolution) async throws -> [MetricPoint] {
        try await read { transaction in
            switch resolution {
            case .minute:
                return try await transaction.fetchAll(NodeMetricMinuteRecord.self, """
                    SELECT * FROM node_metric_minutes WHERE nodeID = \(nodeID) AND at >= \(since) AND at < \(until) ORDER BY at
                    """).map(\.point)
            case .hour:
                return try await transaction.fetchAll(NodeMetricHourRecord.self, """
                    SELECT * FROM node_metric_hours WHERE nodeID = \(nodeID) AND at >= \(MetricPoint.hour(of: since)) AND at < \(until) ORDER BY at
                    """).map(\.point)
            }
        }
    }

    /// SUM of a BIGINT is NUMERIC in PostgreSQL: the counts are cast back.
    public func usage(since: Date, until: Date) async throws -> [NodeUsage] {
        try await read { transaction in
            try await transaction.fetchAll(NodeUsage.self, """
                SELECT nodeID, SUM(minutes)::bigint AS minutes, SUM(gpuMinutes)::bigint AS gpuMinutes, SUM(cpuCoreMinutes) AS cpuCoreMinutes,
                       SUM(memoryUsedBytesSum) AS memoryByteMinutes
                FROM node_metric_hours WHERE at >= \(since) AND at < \(until) GROUP BY nodeID ORDER BY nodeID COLLATE "C"
                """)
        }
    }

    public func pruneMetricHistory(minutesBefore: Date, hoursBefore: Date) async throws -> Int {
        try await write { transaction in
            let minutes = try await transaction.scalar(Int64.self, """
                WITH gone AS (DELETE FROM node_metric_minutes WHERE at < \(minutesBefore) RETURNING 1) SELECT COUNT(*) FROM gone
                """) ?? 0
            let hours = try await transaction.scalar(Int64.self, """
                WITH gone AS (DELETE FROM node_metric_hours WHERE at < \(hoursBefore) RETURNING 1) SELECT COUNT(*) FROM gone
                """) ?? 0
            return Int(minutes + hours)
        }
    }
}

/// The one fact a minute point needs.
private struct CoreCount: Decodable {
    var cpuCount: Int?
}
