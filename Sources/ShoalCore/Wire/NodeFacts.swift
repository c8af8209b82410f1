/// What a node is: sent when the agent starts and whenever it changes.
public struct NodeFacts: Codable, Sendable, Equatable {
    /// A mounted filesystem: what it is, not how full it is. Free space changes all the time,
    /// so it travels in `NodeMetrics.disks`; were it here, the facts would change, and be
    /// resent and rewritten, on every heartbeat.
    public struct Disk: Codable, Sendable, Equatable {
        public var mount: String
        public var totalBytes: UInt64
        /// Sent only by agents older than `NodeMetrics.disks`; optional so their facts still
        /// decode. Current agents leave it out.
        public var freeBytes: UInt64?

        public init(mount: String, totalBytes: UInt64, freeBytes: UInt64? = nil) {
            self.mount = mount
            self.totalBytes = totalBytes
            self.freeBytes = freeBytes
        }
    }

    /// The node's NVIDIA GPUs and driver. Only what stays put (no utilisation: that is in
    /// `NodeMetrics.gpus`), so facts do not change, and get resent, on every heartbeat.
    ///
    /// Every optional is absent when the driver reported `[N/A]`, `[Not Supported]` or
    /// nothing: absent never means zero.
    public struct GPUInfo: Codable, Sendable, Equatable {
        /// `nvidia`: the only vendor detected so far.
        public var vendor: String
        /// True when nvidia-smi answered; false when the GPUs were seen on the PCI bus only.
        public var driverLoaded: Bool
        /// The driver version nvidia-smi reported, else the loaded kernel module's.
        public var driverVersion: String?
        /// The highest CUDA version the driver supports.
        public var cudaVersion: String?
        /// One per GPU (MIG instances are counted in `migDevices`, not listed here).
        public var devices: [GPUDevice]
        /// Why the driver did not answer when devices were found anyway (nvidia-smi's own words).
        public var driverProblem: String?

        public init(vendor: String = "nvidia", driverLoaded: Bool, driverVersion: String? = nil, cudaVersion: String? = nil, devices: [GPUDevice], driverProblem: String? = nil) {
            self.vendor = vendor
            self.driverLoaded = driverLoaded
            self.driverVersion = driverVersion
            self.cudaVersion = cudaVersion
            self.devices = devices
            self.driverProblem = driverProblem
        }
    }

    /// One GPU. With the driver missing only `index`, `pciBusID` and `pciDeviceID` are known.
    public struct GPUDevice: Codable, Sendable, Equatable {
        public var index: Int
        public var model: String?
        public var uuid: String?
        public var memoryMiB: UInt64?
        /// `major.minor`, e.g. `9.0` for Hopper.
        public var computeCapability: String?
        /// `Enabled` or `Disabled`; absent on GPUs without MIG.
        public var migMode: String?
        /// MIG instances nvidia-smi -L listed under this GPU, when MIG is enabled.
        public var migDevices: Int?
        /// `domain:bus:device.function`, as nvidia-smi prints it (`00000000:83:00.0`).
        public var pciBusID: String?
        /// Vendor and device id, `10de:2335`.
        public var pciDeviceID: String?

        public init(
            index: Int, model: String? = nil, uuid: String? = nil, memoryMiB: UInt64? = nil, computeCapability: String? = nil,
            migMode: String? = nil, migDevices: Int? = nil, pciBusID: String? = nil, pciDeviceID: String? = nil
        ) {
            self.index = index
            self.model = model
            self.uuid = uuid
            self.memoryMiB = memoryMiB
            self.computeCapability = computeCapability
            self.migMode = migMode
            self.migDevices = migDevices
            self.pciBusID = pciBusID
            self.pciDeviceID = pciDeviceID
        }
    }

    public var hostname: String
    public var osID: String
    public var osVersion: String
    public var osPrettyName: String
    public var kernel: String
    public var architecture: String
    public var cpuCount: Int
    public var cpuModel: String
    public var memoryBytes: UInt64
    public var disks: [Disk]
    public var agentVersion: String
    /// Absent when the node has no NVIDIA GPU, and from agents that predate GPU detection:
    /// optional so old and new agents and coordinators still decode each other.
    public var gpu: GPUInfo?

    public init(
        hostname: String, osID: String, osVersion: String, osPrettyName: String, kernel: String,
        architecture: String, cpuCount: Int, cpuModel: String, memoryBytes: UInt64, disks: [Disk], agentVersion: String,
        gpu: GPUInfo? = nil
    ) {
        self.hostname = hostname
        self.osID = osID
        self.osVersion = osVersion
        self.osPrettyName = osPrettyName
        self.kernel = kernel
        self.architecture = architecture
        self.cpuCount = cpuCount
        self.cpuModel = cpuModel
        self.memoryBytes = memoryBytes
        self.disks = disks
        self.agentVersion = agentVersion
        self.gpu = gpu
    }
}
