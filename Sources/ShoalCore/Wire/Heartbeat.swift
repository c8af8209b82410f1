import Foundation

/// Load figures read from /proc and statfs on every heartbeat.
public struct NodeMetrics: Codable, Sendable, Equatable {
    public var cpuPercent: Double
    public var load1: Double
    public var load5: Double
    public var load15: Double
    public var memoryTotalBytes: UInt64
    public var memoryUsedBytes: UInt64
    public var rootDiskTotalBytes: UInt64
    public var rootDiskUsedBytes: UInt64

    public init(
        cpuPercent: Double, load1: Double, load5: Double, load15: Double, memoryTotalBytes: UInt64,
        memoryUsedBytes: UInt64, rootDiskTotalBytes: UInt64, rootDiskUsedBytes: UInt64
    ) {
        self.cpuPercent = cpuPercent
        self.load1 = load1
        self.load5 = load5
        self.load15 = load15
        self.memoryTotalBytes = memoryTotalBytes
        self.memoryUsedBytes = memoryUsedBytes
        self.rootDiskTotalBytes = rootDiskTotalBytes
        self.rootDiskUsedBytes = rootDiskUsedBytes
    }
}

/// `POST /v1/agent/{node}/heartbeat`. Facts ride along when they changed (or on start).
public struct HeartbeatRequest: Codable, Sendable {
    public var sentAt: Date
    public var metrics: NodeMetrics
    public var facts: NodeFacts?
    public var spooledResults: Int

    public init(sentAt: Date, metrics: NodeMetrics, facts: NodeFacts?, spooledResults: Int) {
        self.sentAt = sentAt
        self.metrics = metrics
        self.facts = facts
        self.spooledResults = spooledResults
    }
}

public struct HeartbeatResponse: Codable, Sendable {
    public var serverTime: Date
    public var status: String
    /// Deliveries this node is running that the operator cancelled: stop them.
    public var cancel: [String]

    public init(serverTime: Date, status: String, cancel: [String] = []) {
        self.serverTime = serverTime
        self.status = status
        self.cancel = cancel
    }
}

/// `POST /v1/agent/{node}/deliveries/{id}/start`: asked just before a verified bundle runs.
public struct DeliveryStartResponse: Codable, Sendable {
    /// False when the task was cancelled meanwhile: the agent reports it cancelled and runs nothing.
    public var proceed: Bool
    public init(proceed: Bool) { self.proceed = proceed }
}
