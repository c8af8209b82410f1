import Foundation
import ShoalCore

/// A row of `node_metric_minutes`: one node's load in one minute, from the first heartbeat of
/// that minute. Kept for `retention.metrics_minutes`.
public struct NodeMetricMinuteRecord: Codable, Sendable {
    public var nodeID: String
    public var at: Date
    public var cpuPercent: Double
    /// Cores the node has (from its facts), for CPU core-hours; nil before facts arrived.
    public var cpuCores: Int?
    public var load1: Double
    public var memoryUsedBytes: Int64
    public var memoryTotalBytes: Int64
    public var rootDiskUsedBytes: Int64
    public var rootDiskTotalBytes: Int64
    public var gpuCount: Int
    public var gpuUtilizationPercent: Double?
    public var gpuMemoryUsedMiB: Int64?
    public var gpuTemperatureMaxC: Double?
    public var gpuPowerDrawW: Double?

    public init(nodeID: String, point: MetricPoint, cpuCores: Int?) {
        self.nodeID = nodeID
        self.at = point.at
        self.cpuPercent = point.cpuPercent
        self.cpuCores = cpuCores
        self.load1 = point.load1
        self.memoryUsedBytes = Int64(clamping: point.memoryUsedBytes)
        self.memoryTotalBytes = Int64(clamping: point.memoryTotalBytes)
        self.rootDiskUsedBytes = Int64(clamping: point.rootDiskUsedBytes)
        self.rootDiskTotalBytes = Int64(clamping: point.rootDiskTotalBytes)
        self.gpuCount = point.gpuCount
        self.gpuUtilizationPercent = point.gpuUtilizationPercent
        self.gpuMemoryUsedMiB = point.gpuMemoryUsedMiB.map { Int64(clamping: $0) }
        self.gpuTemperatureMaxC = point.gpuTemperatureMaxC
        self.gpuPowerDrawW = point.gpuPowerDrawW
    }

    public var point: MetricPoint {
        MetricPoint(
            at: at, minutes: 1, cpuPercent: cpuPercent, load1: load1, memoryUsedBytes: UInt64(clamping: memoryUsedBytes),
            memoryTotalBytes: UInt64(clamping: memoryTotalBytes), rootDiskUsedBytes: UInt64(clamping: rootDiskUsedBytes),
            rootDiskTotalBytes: UInt64(clamping: rootDiskTotalBytes), gpuCount: gpuCount, gpuUtilizationPercent: gpuUtilizationPercent,
            gpuMemoryUsedMiB: gpuMemoryUsedMiB.map { UInt64(clamping: $0) }, gpuTemperatureMaxC: gpuTemperatureMaxC, gpuPowerDrawW: gpuPowerDrawW
        )
    }
}
