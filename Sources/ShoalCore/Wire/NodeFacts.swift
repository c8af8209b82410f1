/// What a node is: sent when the agent starts and whenever it changes.
public struct NodeFacts: Codable, Sendable, Equatable {
    public struct Disk: Codable, Sendable, Equatable {
        public var mount: String
        public var totalBytes: UInt64
        public var freeBytes: UInt64

        public init(mount: String, totalBytes: UInt64, freeBytes: UInt64) {
            self.mount = mount
            self.totalBytes = totalBytes
            self.freeBytes = freeBytes
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

    public init(
        hostname: String, osID: String, osVersion: String, osPrettyName: String, kernel: String,
        architecture: String, cpuCount: Int, cpuModel: String, memoryBytes: UInt64, disks: [Disk], agentVersion: String
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
    }
}
