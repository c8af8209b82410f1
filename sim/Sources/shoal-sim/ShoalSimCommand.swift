import ArgumentParser
import Dispatch
import Foundation
import Logging
import ShoalCore
import ShoalSimulator

/// `shoal-sim`: a fleet of simulated nodes against a real coordinator, for benchmarks and
/// load tests. Not shipped: it lives beside the project's tests (docs/benchmarks.md).
@main
struct ShoalSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shoal-sim",
        abstract: "Simulate a fleet of Shoal agents against a real coordinator.",
        discussion: """
        Every simulated node enrolls with the join token (a real CSR), keeps its own P-256 key and
        mutual-TLS client, sends heartbeats, long-polls for bundles, verifies every bundle and its
        sequence exactly as the agent does, and uploads simulated step results and output.

        Each node holds two connections, as the agent does: N nodes need about 2N+1024 open files,
        here and in the coordinator. The simulator raises its own limit where it may; otherwise
        run 'ulimit -n 65536' first. Where the hard limit is lower (a container), use
        --connections-per-node 1: heartbeats and the long poll take turns on one connection. State (identities) lives under --state-dir, or a temporary
        folder on /dev/shm that is removed at the end.

        Stats lines (JSON, one per --stats-interval) go to stdout; 'fleet up' and errors to stderr.
        """
    )

    @Option(help: "Coordinator URL, e.g. https://127.0.0.1:8443.") var coordinator: String?
    @Option(name: .customLong("ca-file"), help: "The fleet CA certificate (PEM) the nodes pin.") var caFile: String?
    @Option(help: "A coordinator data directory: its advertised URL and ca.crt, instead of --coordinator and --ca-file.") var dataDir: String?
    @Option(help: "Join token with at least --nodes uses (not needed for nodes already in --state-dir).") var token: String?
    @Option(help: "How many nodes.") var nodes = 100
    @Option(name: .customLong("heartbeat-interval"), help: "Seconds between heartbeats (not below the coordinator's heartbeat_interval).") var heartbeatInterval = 10.0
    @Option(name: .customLong("poll-wait"), help: "Long-poll wait in seconds (the coordinator caps it at 60).") var pollWait = 25
    @Option(name: .customLong("connections-per-node"), help: "2: long poll and heartbeats on their own connections, as the agent; 1: both in turn on one (half the sockets).") var connectionsPerNode = 2
    @Option(name: .customLong("ramp-up"), help: "Spread enrollments and first connections over this many seconds.") var rampUp = 0.0
    @Option(help: "Share of nodes that go down per minute (0.01 = 1%); each comes back after --churn-outage.") var churn = 0.0
    @Option(name: .customLong("churn-outage"), help: "Seconds a churned node stays away.") var churnOutage = 60.0
    @Option(help: "Seconds to run once the fleet is up; 0 runs until SIGINT/SIGTERM.") var duration = 0.0
    @Option(name: .customLong("gpu-share"), help: "Share of nodes with GPUs (0-1), from nvidia-smi captures.") var gpuShare = 0.0
    @Option(name: .customLong("gpu-fixtures"), help: "Folder of nvidia-smi captures (default: the agent tests' fixtures).") var gpuFixtures: String?
    @Option(name: .customLong("step-duration"), help: "Seconds each simulated step takes.") var stepDuration = 0.0
    @Option(name: .customLong("failure-rate"), help: "Share of steps that fail (0-1).") var failureRate = 0.0
    @Option(name: .customLong("output-bytes"), help: "Bytes of stdout each step produces and uploads.") var outputBytes = 64
    @Option(name: .customLong("state-dir"), help: "Keep node identities here, so a second run does not enroll again (put it on tmpfs for big fleets).") var stateDir: String?
    @Option(name: .customLong("hostname-prefix"), help: "Node hostnames are <prefix>-00000, <prefix>-00001, ...") var hostnamePrefix = "sim"
    @Option(name: .customLong("stats-interval"), help: "Seconds between stats lines on stdout; 0 for none.") var statsInterval = 10.0
    @Option(help: "Write the measured figures as JSON to this file at the end.") var report: String?
    @Flag(help: "Log every failed request.") var verbose = false

    func validate() throws {
        guard nodes >= 1 else { throw ValidationError("--nodes must be at least 1") }
        guard heartbeatInterval > 0 else { throw ValidationError("--heartbeat-interval must be more than 0") }
        guard (0...1).contains(gpuShare), (0...1).contains(failureRate) else { throw ValidationError("--gpu-share and --failure-rate are shares from 0 to 1") }
        guard churn >= 0, churnOutage >= 0, rampUp >= 0, duration >= 0, stepDuration >= 0, outputBytes >= 0 else {
            throw ValidationError("--churn, --churn-outage, --ramp-up, --duration, --step-duration and --output-bytes cannot be negative")
        }
        guard [1, 2].contains(connectionsPerNode) else { throw ValidationError("--connections-per-node is 1 or 2") }
        guard (dataDir != nil) != (coordinator != nil || caFile != nil) else {
            throw ValidationError("give either --data-dir, or --coordinator with --ca-file")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = verbose ? .debug : .warning
            return handler
        }
        let logger = Logger(label: "shoal-sim")
        var options = try SimulatorOptions(coordinatorURL: coordinatorURL(), caPEM: SecureFile.read(caPath()), nodes: nodes)
        options.token = token
        options.heartbeatInterval = heartbeatInterval
        options.pollWait = pollWait
        options.connectionsPerNode = connectionsPerNode
        options.rampUp = rampUp
        options.churn = churn
        options.churnOutage = churnOutage
        options.duration = duration
        options.gpuShare = gpuShare
        options.gpuFixtures = gpuFixtures
        options.stepDuration = stepDuration
        options.failureRate = failureRate
        options.outputBytes = outputBytes
        options.stateDir = stateDir
        options.hostnamePrefix = hostnamePrefix
        options.statsInterval = statsInterval
        let fleet = try SimulatedFleet(options: options, logger: logger)
        let nodeCount = options.nodes
        let running = Task {
            try await fleet.run(
                // Written straight to the descriptor: print() buffers when stdout is a file,
                // and the benchmark reads these lines while the run goes on.
                onWindow: { window in FileHandle.standardOutput.write(((try? WireCoding.encode(window)) ?? Data()) + Data("\n".utf8)) },
                onUp: { seconds in
                    FileHandle.standardError.write(Data("shoal-sim: fleet up: \(nodeCount) nodes in \(String(format: "%.1f", seconds)) s\n".utf8))
                }
            )
        }
        // SIGINT/SIGTERM end the run early; the report still covers what was measured.
        let signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { running.cancel() }
            source.resume()
            return source
        }
        let measured = try await running.value
        signals.forEach { $0.cancel() }
        let text = try WireCoding.encode(measured, pretty: true)
        if let report { try text.write(to: URL(fileURLWithPath: report)) }
        FileHandle.standardError.write(Data("shoal-sim: done: \(String(decoding: text, as: UTF8.self))\n".utf8))
    }

    func coordinatorURL() throws -> String {
        if let coordinator { return coordinator }
        let path = (dataDir ?? "") + "/coordinator.yaml"
        let config = try CoordinatorConfig.parse(yaml: SecureFile.read(path), source: path)
        return config.advertiseURL
    }

    func caPath() -> String { caFile ?? (dataDir ?? "") + "/ca.crt" }
}
