import ArgumentParser
import Foundation
import ShoalCoordinator
import ShoalCore

/// `coordinator enroll [user@]host...`: bootstrap nodes over SSH (see docs/enrollment.md).
struct EnrollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Install the agent on hosts over SSH and enroll them: preflight, install, wait until ready.",
        discussion: "Uses /usr/bin/ssh (so ~/.ssh/config, ssh-agent, known_hosts and ProxyJump apply) in batch mode. Running it again on an enrolled host changes nothing unless the agent binary differs."
    )

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Hosts to enroll, [user@]host. A non-root user needs passwordless sudo.") var hosts: [String]
    @Option(name: .short, help: "SSH port.") var port: Int?
    @Option(name: .short, help: "SSH identity file (private key).") var identity: String?
    @Option(name: .customLong("ssh-option"), help: "Extra ssh -o option, e.g. ProxyJump=bastion (repeatable).") var sshOptions: [String] = []
    @Option(name: .customLong("label"), help: "Label for the enrolled nodes, k=v (repeatable).") var labels: [String] = []
    @Option(help: "Hosts bootstrapped at the same time.") var parallel = 10
    @Flag(help: "Run the preflight checks only; write nothing.") var dryRun = false
    @Flag(help: "Turn CPU, memory and disk shortfalls into warnings.") var force = false
    @Flag(help: "Print the results as JSON.") var json = false
    @Option(name: .customLong("agent-binary"), help: "The agent executable to install (default: shoal-agent or agent beside this program).") var agentBinary: String?
    @Option(name: .customLong("coordinator-url"), help: "URL the nodes use to reach the coordinator (default: the fleet's advertise URL). Repeat it for several URLs of one fleet: the agent starts at a random one and fails over to the next.") var coordinatorURLs: [String] = []
    @Option(name: .customLong("min-cpus")) var minCPUs = 2
    @Option(name: .customLong("min-memory-gib")) var minMemoryGiB = 4.0
    @Option(name: .customLong("min-disk-gib"), help: "Free space needed on /.") var minDiskGiB = 20.0
    @Option(name: .customLong("ready-timeout"), help: "How long to wait for each node to become ready (e.g. 2m).") var readyTimeout = "2m"

    func run() async throws {
        try await runReportingErrors {
            let operatorConnection = try connection.operatorConnection()
            let targets = try hosts.map { try SSHTarget($0, port: port, identityFile: identity, options: sshOptions) }
            let options = EnrollOptions(
                coordinatorURLs: coordinatorURLs.isEmpty ? [operatorConnection.url] : coordinatorURLs, labels: try LabelText.parse(labels),
                thresholds: PreflightThresholds(minCPUs: minCPUs, minMemoryGiB: minMemoryGiB, minDiskGiB: minDiskGiB, force: force),
                dryRun: dryRun, parallel: parallel, readyTimeout: .seconds(try DurationText.seconds(readyTimeout))
            )
            let agent = try AgentBinary(path: try resolveAgentBinary())
            let bootstrapper = try Bootstrapper(connection: operatorConnection, agent: agent, options: options) { line in
                FileHandle.standardError.write(Data((TerminalText.escaped(line) + "\n").utf8))
            }
            let results = try await bootstrapper.enroll(targets)
            if json {
                try printJSON(EnrollReport(results: results))
            } else {
                print(TablePrinter.render(header: ["HOST", "RESULT", "NODE", "REASON"], rows: results.map {
                    [$0.host, $0.result.rawValue, $0.nodeID ?? "-", $0.reason]
                }))
            }
            let failed = results.filter { $0.result == .failed }.count
            if failed > 0 {
                FileHandle.standardError.write(Data("\(failed) of \(results.count) host(s) failed\n".utf8))
                throw ExitCode.failure
            }
        }
    }

    func resolveAgentBinary() throws -> String {
        if let agentBinary { return agentBinary }
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for name in ["shoal-agent", "agent"] where FileManager.default.isExecutableFile(atPath: here.appendingPathComponent(name).path) {
            return here.appendingPathComponent(name).path
        }
        throw ShoalError(.bootstrapAgentBinary, "no agent binary found beside \(CommandLine.arguments[0]): pass --agent-binary PATH (the Linux shoal-agent for the nodes' architecture)")
    }
}

extension ConnectionOptions {
    /// The operator credential and URL, as the API client uses them (the bootstrapper needs
    /// the CA to pin on nodes as well).
    func operatorConnection() throws -> OperatorConnection {
        try OperatorConnection.load(dataDir: dataDir ?? ProcessInfo.processInfo.environment["SHOAL_DATA_DIR"], operatorConfig: operatorConfig, url: url)
    }
}
