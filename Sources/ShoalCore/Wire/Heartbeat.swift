import Foundation

/// Load figures read from /proc and statfs on every heartbeat.
public struct NodeMetrics: Codable, Sendable, Equatable {
    /// One NVIDIA GPU's load and health counters, from nvidia-smi. Each figure is absent
    /// when the driver reports `[N/A]` or `[Not Supported]` for it (utilisation on a MIG-enabled
    /// GPU, ECC on a GeForce card, retired pages on GPUs that remap rows instead).
    public struct GPU: Codable, Sendable, Equatable {
        public var index: Int
        public var uuid: String?
        public var utilizationPercent: Double?
        public var memoryUtilizationPercent: Double?
        public var memoryUsedMiB: UInt64?
        public var memoryTotalMiB: UInt64?
        public var temperatureC: Double?
        public var powerDrawW: Double?
        public var powerLimitW: Double?
        /// ECC errors since the driver loaded.
        public var eccCorrectedVolatile: UInt64?
        public var eccUncorrectedVolatile: UInt64?
        /// Pages retired for single-bit and double-bit ECC errors (pre-Ampere data-centre GPUs).
        public var retiredPagesSingleBit: UInt64?
        public var retiredPagesDoubleBit: UInt64?
        /// A retirement waits for the next driver reload (XID 63/64 territory).
        public var retiredPagesPending: Bool?
        /// Row remapping (Ampere and later data-centre GPUs).
        public var remappedRowsCorrectable: UInt64?
        public var remappedRowsUncorrectable: UInt64?
        /// A remap waits for a GPU reset.
        public var remappedRowsPending: Bool?
        /// A remap failed: the GPU needs service.
        public var remappedRowsFailure: Bool?
        /// ECC errors over the GPU's life, kept in its InfoROM across driver reloads.
        public var eccCorrectedAggregate: UInt64?
        public var eccUncorrectedAggregate: UInt64?
        /// Current SM and memory clocks in MHz.
        public var clockSMMHz: Double?
        public var clockMemoryMHz: Double?
        /// Active clock event ("throttle") reasons by NVML's names: `hw_slowdown`,
        /// `hw_thermal_slowdown`, `hw_power_brake_slowdown`, `sw_thermal_slowdown`,
        /// `sw_power_cap`, `gpu_idle`, `applications_clocks_setting`, `sync_boost`,
        /// `display_clock_setting`. Empty: none active.
        public var throttleReasons: [String]?
        /// As nvidia-smi prints it (`00000000:83:00.0`): ties kernel-log XIDs to this GPU.
        public var pciBusID: String?
        /// `NVRM: Xid` events the kernel logged for this GPU since boot, their distinct codes
        /// (ascending) and the latest one. Absent when the kernel log could not be read.
        public var xidCount: UInt64?
        public var xidCodes: [Int]?
        public var lastXid: Int?
        /// nvidia-smi says the GPU is lost ("fallen off the bus", "GPU is lost").
        public var fallenOffBus: Bool?
        /// `GPUHealthJudge`'s verdict on the figures above; the reason is set unless `ok`.
        public var healthState: GPUHealthState?
        public var healthReason: String?

        public init(index: Int, uuid: String? = nil) {
            self.index = index
            self.uuid = uuid
        }
    }

    public var cpuPercent: Double
    public var load1: Double
    public var load5: Double
    public var load15: Double
    public var memoryTotalBytes: UInt64
    public var memoryUsedBytes: UInt64
    public var rootDiskTotalBytes: UInt64
    public var rootDiskUsedBytes: UInt64
    /// Each real filesystem's size and free space (the root one too). Absent from agents
    /// older than it: they sent free space in `NodeFacts.disks`.
    public var disks: [Disk]?
    /// Absent when no NVIDIA driver answers, and from older agents: optional so old and new
    /// agents and coordinators still decode each other.
    public var gpus: [GPU]?
    /// Latest results of the node's recurring health checks (agent config `health_checks`).
    public var checks: [NodeCheckResult]?
    /// The node's GPUs taken together (the worst GPU, or `failed` when nvidia-smi cannot
    /// reach them), with what to do about it; absent on nodes without an NVIDIA driver and
    /// from agents older than GPU health. Selectors read it as `gpu.health`.
    public var gpuHealthState: GPUHealthState?
    public var gpuHealthReason: String?

    public init(
        cpuPercent: Double, load1: Double, load5: Double, load15: Double, memoryTotalBytes: UInt64,
        memoryUsedBytes: UInt64, rootDiskTotalBytes: UInt64, rootDiskUsedBytes: UInt64, gpus: [GPU]? = nil, disks: [Disk]? = nil
    ) {
        self.disks = disks
        self.cpuPercent = cpuPercent
        self.load1 = load1
        self.load5 = load5
        self.load15 = load15
        self.memoryTotalBytes = memoryTotalBytes
        self.memoryUsedBytes = memoryUsedBytes
        self.rootDiskTotalBytes = rootDiskTotalBytes
        self.rootDiskUsedBytes = rootDiskUsedBytes
        self.gpus = gpus
    }
}

/// `POST /v1/agent/{node}/heartbeat`. Facts ride along when they changed (or on start).
public struct HeartbeatRequest: Codable, Sendable {
    public var sentAt: Date
    public var metrics: NodeMetrics
    public var facts: NodeFacts?
    public var spooledResults: Int
    /// The trust document version and label version the agent holds, so the answer can bring
    /// what is newer.
    public var trustVersion: Int?
    public var labelsVersion: Int?
    /// The coordinator URL the agent sends to now (one of its `coordinator_urls`), shown by
    /// `nodes show`. The node's word, for display only: absent from older agents.
    public var coordinatorURL: String?

    /// Longest `coordinatorURL` a heartbeat may carry; agent configs keep to it too.
    public static let maxCoordinatorURLBytes = 512

    public init(
        sentAt: Date, metrics: NodeMetrics, facts: NodeFacts?, spooledResults: Int, trustVersion: Int? = nil, labelsVersion: Int? = nil,
        coordinatorURL: String? = nil
    ) {
        self.coordinatorURL = coordinatorURL
        self.trustVersion = trustVersion
        self.labelsVersion = labelsVersion
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
    /// Trust documents newer than `trustVersion`, oldest first.
    public var trust: [DSSEEnvelope]?
    /// The operator-signed statement of the node's labels, when newer than `labelsVersion`.
    public var labelStatement: DSSEEnvelope?
    /// True when the node's certificate is not from the CA the coordinator issues with now
    /// (the fleet CA rotated): renew it now rather than at two thirds of its life.
    public var renewCertificate: Bool?

    public init(
        serverTime: Date, status: String, cancel: [String] = [], trust: [DSSEEnvelope]? = nil, labelStatement: DSSEEnvelope? = nil,
        renewCertificate: Bool? = nil
    ) {
        self.renewCertificate = renewCertificate
        self.trust = trust
        self.labelStatement = labelStatement
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
