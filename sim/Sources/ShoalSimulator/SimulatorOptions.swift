import Foundation

/// What one simulator run does: which coordinator, how many nodes, and how they behave.
/// Durations are in seconds (Double) so sub-second test settings are possible.
public struct SimulatorOptions: Sendable {
    public var coordinatorURL: String
    /// The fleet CA the nodes pin, as PEM (read from `--ca-file`).
    public var caPEM: String
    /// A join token with at least `nodes` uses; only needed for nodes not enrolled yet.
    public var token: String?
    public var nodes: Int
    public var heartbeatInterval: Double
    /// Long-poll wait the nodes ask for (the coordinator caps it at 60 s; the agent's default is 25 s).
    public var pollWait: Int
    /// 2: a long-poll connection and a heartbeat/result connection, as the agent holds.
    /// 1: both in turn on one connection, for fleets above half the open-file limit.
    public var connectionsPerNode: Int
    /// Enrollments (and first connections) are spread evenly over this many seconds.
    public var rampUp: Double
    /// Share of the fleet that goes down per minute (0.01 = 1 %); each comes back after `churnOutage`.
    public var churn: Double
    public var churnOutage: Double
    /// How long the fleet runs once every node is up; 0 = until SIGINT/SIGTERM.
    public var duration: Double
    /// Share of nodes that report GPUs (facts and metrics from nvidia-smi captures).
    public var gpuShare: Double
    /// Folder of nvidia-smi captures (`<machine>/query-gpu.csv`, `version.txt`).
    public var gpuFixtures: String?
    public var stepDuration: Double
    public var failureRate: Double
    /// Bytes of stdout each simulated step produces and uploads.
    public var outputBytes: Int
    /// Node identities live here (one agent state directory per node) so a second run does
    /// not enroll again; a temporary folder under /dev/shm when absent.
    public var stateDir: String?
    public var hostnamePrefix: String
    public var labels: [String: String]
    /// Write the measured figures here (JSON) when the run ends.
    public var reportFile: String?
    /// Print a one-line JSON stats record every this many seconds (0 = never).
    public var statsInterval: Double

    public init(coordinatorURL: String, caPEM: String, nodes: Int) {
        self.coordinatorURL = coordinatorURL
        self.caPEM = caPEM
        self.nodes = nodes
        heartbeatInterval = 10
        pollWait = 25
        connectionsPerNode = 2
        rampUp = 0
        churn = 0
        churnOutage = 60
        duration = 0
        gpuShare = 0
        stepDuration = 0
        failureRate = 0
        outputBytes = 64
        hostnamePrefix = "sim"
        labels = [:]
        statsInterval = 10
    }

    /// The file descriptors the fleet needs: a socket per connection, plus room for
    /// enrollment connections, state files and the runtime.
    public var fileDescriptorsNeeded: Int { nodes * connectionsPerNode + 1024 }
}
