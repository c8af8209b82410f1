import Foundation

/// One point of a node's metric history: a minute (the first heartbeat of that minute stands
/// for it) or an hour (the average of its minutes, the hottest GPU's maximum).
public struct MetricPoint: Codable, Sendable, Equatable {
    public var at: Date
    /// Minutes with a heartbeat behind this point: 1 for a minute point, up to 60 for an hour.
    public var minutes: Int
    public var cpuPercent: Double
    public var load1: Double
    public var memoryUsedBytes: UInt64
    public var memoryTotalBytes: UInt64
    public var rootDiskUsedBytes: UInt64
    public var rootDiskTotalBytes: UInt64
    public var gpuCount: Int
    /// Mean over the node's GPUs; nil without GPUs or when the driver reports none.
    public var gpuUtilizationPercent: Double?
    /// Summed over the node's GPUs.
    public var gpuMemoryUsedMiB: UInt64?
    /// The hottest GPU.
    public var gpuTemperatureMaxC: Double?
    /// Summed over the node's GPUs.
    public var gpuPowerDrawW: Double?

    public init(
        at: Date, minutes: Int, cpuPercent: Double, load1: Double, memoryUsedBytes: UInt64, memoryTotalBytes: UInt64,
        rootDiskUsedBytes: UInt64, rootDiskTotalBytes: UInt64, gpuCount: Int, gpuUtilizationPercent: Double? = nil,
        gpuMemoryUsedMiB: UInt64? = nil, gpuTemperatureMaxC: Double? = nil, gpuPowerDrawW: Double? = nil
    ) {
        self.at = at
        self.minutes = minutes
        self.cpuPercent = cpuPercent
        self.load1 = load1
        self.memoryUsedBytes = memoryUsedBytes
        self.memoryTotalBytes = memoryTotalBytes
        self.rootDiskUsedBytes = rootDiskUsedBytes
        self.rootDiskTotalBytes = rootDiskTotalBytes
        self.gpuCount = gpuCount
        self.gpuUtilizationPercent = gpuUtilizationPercent
        self.gpuMemoryUsedMiB = gpuMemoryUsedMiB
        self.gpuTemperatureMaxC = gpuTemperatureMaxC
        self.gpuPowerDrawW = gpuPowerDrawW
    }

    /// The minute point a heartbeat's metrics make (`at` rounded down to its minute).
    public init(minuteOf at: Date, metrics: NodeMetrics) {
        let gpus = metrics.gpus ?? []
        let utilization = gpus.compactMap(\.utilizationPercent)
        let memory = gpus.compactMap(\.memoryUsedMiB)
        let power = gpus.compactMap(\.powerDrawW)
        self.init(
            at: MetricPoint.minute(of: at), minutes: 1, cpuPercent: metrics.cpuPercent, load1: metrics.load1,
            memoryUsedBytes: metrics.memoryUsedBytes, memoryTotalBytes: metrics.memoryTotalBytes,
            rootDiskUsedBytes: metrics.rootDiskUsedBytes, rootDiskTotalBytes: metrics.rootDiskTotalBytes, gpuCount: gpus.count,
            gpuUtilizationPercent: utilization.isEmpty ? nil : utilization.reduce(0, +) / Double(utilization.count),
            // Saturating: a heartbeat that skipped validation must not trap the coordinator.
            gpuMemoryUsedMiB: memory.isEmpty ? nil : memory.reduce(UInt64(0)) { $0.addingReportingOverflow($1).overflow ? .max : $0 + $1 },
            gpuTemperatureMaxC: gpus.compactMap(\.temperatureC).max(),
            gpuPowerDrawW: power.isEmpty ? nil : power.reduce(0, +)
        )
    }

    public static func minute(of date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60)
    }

    public static func hour(of date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 3600).rounded(.down) * 3600)
    }
}

/// `GET /v1/nodes/{id}/metrics?since=&until=`: minute points while the range lies within
/// the minute retention, hour points beyond it.
public struct MetricHistoryResponse: Codable, Sendable {
    public enum Resolution: String, Codable, Sendable { case minute, hour }
    public var nodeID: String
    public var hostname: String
    public var resolution: Resolution
    public var since: Date
    public var until: Date
    public var points: [MetricPoint]

    public init(nodeID: String, hostname: String, resolution: Resolution, since: Date, until: Date, points: [MetricPoint]) {
        self.nodeID = nodeID
        self.hostname = hostname
        self.resolution = resolution
        self.since = since
        self.until = until
        self.points = points
    }
}

/// What a node (or a group of nodes sharing a label value) used over a period, metered the
/// way provider daemons bill it: from each minute with a heartbeat.
public struct UsageRow: Codable, Sendable, Equatable {
    /// The node id, or the label value when grouped (`(none)` for nodes without the label).
    public var key: String
    public var hostname: String?
    public var nodes: Int
    /// Hours with the node up (a heartbeat in the minute).
    public var nodeHours: Double
    /// GPU count × hours up.
    public var gpuHours: Double
    /// CPU cores busy × hours (utilisation × cores).
    public var cpuCoreHours: Double
    /// Memory in use × hours, in GiB-hours.
    public var memoryGiBHours: Double

    public init(key: String, hostname: String?, nodes: Int, nodeHours: Double, gpuHours: Double, cpuCoreHours: Double, memoryGiBHours: Double) {
        self.key = key
        self.hostname = hostname
        self.nodes = nodes
        self.nodeHours = nodeHours
        self.gpuHours = gpuHours
        self.cpuCoreHours = cpuCoreHours
        self.memoryGiBHours = memoryGiBHours
    }
}

/// `GET /v1/usage?since=&until=&groupBy=`. The period is taken in whole UTC hours: `since`
/// rounded down, `until` rounded up.
public struct UsageResponse: Codable, Sendable {
    public var since: Date
    public var until: Date
    public var groupBy: String?
    public var rows: [UsageRow]

    public init(since: Date, until: Date, groupBy: String?, rows: [UsageRow]) {
        self.since = since
        self.until = until
        self.groupBy = groupBy
        self.rows = rows
    }
}
