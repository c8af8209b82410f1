import Foundation
import ShoalClient
import ShoalCoordinator
import ShoalCore
import ShoalTestSupport

/// A real coordinator that testbed nodes can reach: it listens on every address and its
/// certificate names each node's host-side address. The CLI is the built binary, run the way
/// an operator runs it; the agent installed on nodes is the debug build.
final class EnrollmentFleet: @unchecked Sendable {
    let root: String
    let dataDir: String
    let port: Int
    let nodes: [TestbedNode]
    var coordinator: ChildProcess?
    let adminClient: APIClient

    static let agentBinary = TestFleet.agentBinary

    /// What nodes dial: the first node's host-side address (the host answers on any of its
    /// addresses, so every node reaches it).
    var nodeURL: String { "https://\(nodes[0].hostIP):\(port)" }

    init(nodes: [TestbedNode]) throws {
        var template = Array("/tmp/shoal-enroll-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw ShoalError(.storage, "mkdtemp failed") }
        root = String(cString: made)
        dataDir = root + "/coordinator"
        port = freePort()
        self.nodes = nodes
        let sans = Set(nodes.map(\.hostIP)).sorted().flatMap { ["--san", $0] }
        let result = try runCommand(TestFleet.coordinatorBinary, ["init", "--data-dir", dataDir, "--advertise", "https://127.0.0.1:\(port)", "--listen", "0.0.0.0:\(port)"] + sans)
        guard result.status == 0 else { throw ShoalError(.internalError, "coordinator init failed: \(result.stderr)") }
        adminClient = try OperatorConnection.load(dataDir: dataDir, operatorConfig: nil, url: nil).client()
    }

    /// Boots `count` nodes with the Swift runtime the debug agent needs, starts a coordinator
    /// for them, runs `body`, and always stops the coordinator and the nodes.
    static func with<T>(nodes count: Int, _ body: (EnrollmentFleet) async throws -> T) async throws -> T {
        let binds = try await Testbed.runtimeBinds(forExecutable: agentBinary)
        return try await Testbed.withNodes(count: count, binds: binds) { nodes in
            let fleet = try EnrollmentFleet(nodes: nodes)
            do {
                try await fleet.start()
                let value = try await body(fleet)
                await fleet.tearDown()
                return value
            } catch {
                await fleet.tearDown()
                throw error
            }
        }
    }

    func start() async throws {
        let process = try ChildProcess(TestFleet.coordinatorBinary, ["serve", "--data-dir", dataDir], logPath: root + "/coordinator.log")
        coordinator = process
        guard await eventually(timeout: 20, { process.log.contains("coordinator listening on") }) else {
            throw ShoalError(.internalError, "coordinator did not start:\n\(process.log)")
        }
    }

    /// The coordinator CLI with this fleet's admin credential, bounded in time.
    func cli(_ arguments: [String], timeout: Duration = .seconds(300)) async throws -> TestbedResult {
        try await Testbed.runOnHost(TestFleet.coordinatorBinary, arguments + ["--data-dir", dataDir], timeout: timeout)
    }

    /// SSH options for the harness key and throwaway host keys.
    func sshOptions(_ node: TestbedNode) -> [String] {
        ["-i", node.sshKeyPath, "--ssh-option", "StrictHostKeyChecking=no", "--ssh-option", "UserKnownHostsFile=/dev/null", "--ssh-option", "LogLevel=ERROR"]
    }

    /// `coordinator enroll` for `hosts` (default root@ip of each node) with `--json`.
    func enroll(_ hosts: [String], agent: String = agentBinary, _ extra: [String] = []) async throws -> (result: TestbedResult, report: EnrollReport?) {
        let result = try await cli(["enroll"] + hosts + sshOptions(nodes[0]) + ["--agent-binary", agent, "--coordinator-url", nodeURL, "--json"] + extra)
        return (result, try? WireCoding.decode(EnrollReport.self, from: Data(result.stdout.utf8)))
    }

    func nodeViews() async throws -> [NodeView] {
        try await adminClient.get("/v1/nodes", as: NodeListResponse.self).nodes
    }

    func tearDown() async {
        coordinator?.stop(grace: 10)
        await adminClient.shutdown()
        if ProcessInfo.processInfo.environment["SHOAL_KEEP_TEST_DIRS"] == nil {
            try? FileManager.default.removeItem(atPath: root)
        }
    }
}

extension TestbedNode {
    /// stdout of `argv` in the node, trimmed.
    func output(_ argv: [String]) async throws -> String {
        try await exec(argv).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Which of the agent's files exist on the node (empty when it is clean).
    func agentFilesPresent() async throws -> [String] {
        let paths = [AgentInstallLayout.binaryPath, AgentInstallLayout.configDirectory, AgentInstallLayout.unitPath, AgentInstallLayout.stateDirectory]
        let script = paths.map { "[ -e \($0) ] && echo \($0)" }.joined(separator: "; ") + "; ls /usr/local/bin /etc/systemd/system | grep -i shoal; true"
        return try await exec(["sh", "-c", script]).stdout.split(separator: "\n").map(String.init)
    }

    /// The agent service's main pid and when it became active: unchanged means no restart.
    func agentServiceInstance() async throws -> String {
        try await output(["systemctl", "show", "-p", "MainPID", "-p", "ActiveEnterTimestampMonotonic", AgentInstallLayout.unitName])
    }
}
