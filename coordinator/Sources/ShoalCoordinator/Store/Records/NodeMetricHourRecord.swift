import Foundation
import ShoalCore

/// A row of `node_metric_hours`: one node's hour, summed from its minute points as each is
/// written, so usage over months needs no minute points. Kept for `retention.metrics_hours`.
/// Sums divided by their minute counts give the hour's averages.
public struct NodeMetricHourRecord: Codable, Sendable {
    public var nodeID: String
    public var at: Date
    /// Minutes with a heartbeat: node-minutes up.
    public var minutes: Int
    /// GPU count summed over those minutes: GPU-minutes.
    public var gpuMinutes: Int
    /// Busy cores (utilisation × cores) summed over the minutes whose core count was known.
    public var cpuCoreMinutes: Double
    public var cpuPercentSum: Double
    public var load1Sum: Double
    public var memoryUsedBytesSum: Double
    public var memoryTotalBytes: Int64
    public var rootDiskUsedBytesSum: Double
    public var rootDiskTotalBytes: Int64
    public var gpuCountMax: Int
    public var gpuUtilizationSum: Double
    public var gpuUtilizationMinutes: Int
    public var gpuMemoryUsedMiBSum: Double
    public var gpuMemoryMinutes: Int
    public var gpuTemperatureMaxC: Double?
    public var gpuPowerDrawWSum: Double
    public var gpuPowerMinutes: Int

    /// The hour as a point: averages over its minutes, the hottest GPU's maximum.
    public var point: MetricPoint {
        let count = Double(max(minutes, 1))
        func average(_ sum: Double, _ samples: Int) -> Double? { samples > 0 ? sum / Double(samples) : nil }
        // Whatever the sums hold, converting back never traps (a Double beyond UInt64 saturates).
        func whole(_ value: Double) -> UInt64 { value.isFinite ? (value >= 18_446_744_073_709_551_615 ? .max : UInt64(max(0, value))) : 0 }
        return MetricPoint(
            at: at, minutes: minutes, cpuPercent: cpuPercentSum / count, load1: load1Sum / count,
            memoryUsedBytes: whole(memoryUsedBytesSum / count), memoryTotalBytes: UInt64(clamping: memoryTotalBytes),
            rootDiskUsedBytes: whole(rootDiskUsedBytesSum / count), rootDiskTotalBytes: UInt64(clamping: rootDiskTotalBytes),
            gpuCount: gpuCountMax, gpuUtilizationPercent: average(gpuUtilizationSum, gpuUtilizationMinutes),
            gpuMemoryUsedMiB: average(gpuMemoryUsedMiBSum, gpuMemoryMinutes).map(whole),
            gpuTemperatureMaxC: gpuTemperatureMaxC, gpuPowerDrawW: average(gpuPowerDrawWSum, gpuPowerMinutes)
        )
    }
}
