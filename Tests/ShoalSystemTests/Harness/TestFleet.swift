import Foundation
import ShoalClient
import ShoalCoordinator
import ShoalCore
import ShoalTestSupport

/// A real fleet on loopback for one test: `coordinator init` + `serve` from the built
/// binaries, agents as real processes with their own state directories, all in a temporary
/// directory that `tearDown` removes after stopping every process.
final class TestFleet: @unchecked Sendable {
    let root: String
    let dataDir: String
    let port: Int
    var coordinator: ChildProcess?
    var agents: [String: ChildProcess] = [:]
    private let adminClient: APIClient

    /// Built binaries: `SHOAL_BIN_DIR`, else the package's `.build/debug`.
    static var binDir: String {
        if let dir = ProcessInfo.processInfo.environment["SHOAL_BIN_DIR"] { return dir }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.appendingPathComponent(".build/debug").path
    }

    static var coordinatorBinary: String { binDir + "/coordinator" }
    static var agentBinary: String { binDir + "/agent" }

    var url: String { "https://127.0.0.1:\(port)" }

    init(nodeTTL: String = "3s", downGrace: String = "1s", certificateValidity: String = "90d", configure: (inout CoordinatorConfig) -> Void = { _ in }) throws {
        var template = Array("/tmp/shoal-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw ShoalError(.storage, "mkdtemp failed") }
        root = String(cString: made)
        dataDir = root + "/coordinator"
        port = freePort()
        let url = "https://127.0.0.1:\(port)"
        let result = try runCommand(Self.coordinatorBinary, ["init", "--data-dir", dataDir, "--advertise", url, "--listen", "127.0.0.1:\(port)", "--admin-dir", root + "/admin"])
        guard result.status == 0 else { throw ShoalError(.internalError, "coordinator init failed: \(result.stderr)") }
        // Short liveness windows so down/ready transitions happen within a test.
        let configPath = dataDir + "/coordinator.yaml"
        var config = try CoordinatorConfig.parse(yaml: SecureFile.read(configPath), source: configPath)
        config.nodeTTL = nodeTTL
        config.downGrace = downGrace
        config.heartbeatInterval = "1s"
        config.nodeCertificateValidity = certificateValidity
        configure(&config)
        try SecureFile.write(config.yamlText(), to: configPath, mode: 0o644)
        adminClient = try OperatorConnection.load(dataDir: dataDir, operatorConfig: nil, url: nil).client()
    }

    /// Runs `body` with a fresh fleet and always tears it down, also when `body` throws.
    static func with<T>(
        nodeTTL: String = "3s", certificateValidity: String = "90d", configure: (inout CoordinatorConfig) -> Void = { _ in },
        _ body: (TestFleet) async throws -> T
    ) async throws -> T {
        let fleet = try TestFleet(nodeTTL: nodeTTL, certificateValidity: certificateValidity, configure: configure)
        do {
            let value = try await body(fleet)
            await fleet.tearDown()
            return value
        } catch {
            await fleet.tearDown()
            throw error
        }
    }

    func startCoordinator() async throws {
        let process = try ChildProcess(Self.coordinatorBinary, ["serve", "--data-dir", dataDir], logPath: root + "/coordinator.log")
        coordinator = process
        let up = await eventually(timeout: 20) { process.log.contains("coordinator listening on") }
        guard up else { throw ShoalError(.internalError, "coordinator did not start:\n\(process.log)") }
    }

    /// SIGKILL: no graceful anything, as a crash or an OOM kill would do.
    func killCoordinator() {
        coordinator?.signal(SIGKILL)
        coordinator?.process.waitUntilExit()
        coordinator = nil
    }

    /// An API client holding the admin credential `init` made.
    func admin() -> APIClient { adminClient }

    /// The admin folder `init` made: the fleet root and the admin's operator signing key.
    var adminDir: String { root + "/admin" }
    var signingKeyPath: String { adminDir + "/operator.key" }

    /// The coordinator CLI as the admin, signing with the admin's operator key.
    func cli(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
        try runCommand(Self.coordinatorBinary, arguments + ["--data-dir", dataDir], environment: ["SHOAL_SIGNING_KEY": signingKeyPath].merging(environment) { $1 })
    }

    /// The admin's signer, for tests that post signed requests themselves.
    func signer() throws -> OperatorSigner {
        OperatorSigner(name: "admin", key: try OperatorKeyFile.load(signingKeyPath))
    }

    func token(uses: Int = 1, ttl: String = "10m", labels: [String] = []) throws -> String {
        let result = try cli(["token", "create", "--uses", "\(uses)", "--ttl", ttl] + labels.flatMap { ["--label", $0] })
        guard result.status == 0 else { throw ShoalError(.internalError, "token create failed: \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func stateDir(_ name: String) -> String { root + "/agents/\(name)/state" }

    /// curl arguments that speak as agent `name` (its node certificate and key).
    func nodeCurl(_ name: String) -> [String] {
        ["--cacert", dataDir + "/ca.crt", "--cert", stateDir(name) + "/node.crt", "--key", stateDir(name) + "/node.key"]
    }

    /// curl arguments that speak as the admin.
    var adminCurl: [String] {
        ["--cacert", dataDir + "/ca.crt", "--cert", dataDir + "/admin.crt", "--key", dataDir + "/admin.key"]
    }

    /// Writes an agent config (1 s heartbeats and polls, for quick tests) and returns its path.
    /// `coordinatorURLs` replaces the fleet's one URL (failover tests).
    func agentConfig(
        _ name: String, token: String?, labels: [String: String]? = nil, healthChecks: [NodeHealthCheck]? = nil, hostname: String? = nil,
        coordinatorURLs: [String]? = nil
    ) throws -> String {
        let dir = root + "/agents/\(name)"
        try SecureFile.makeDirectory(dir)
        var config = AgentConfig(coordinatorURLs: coordinatorURLs ?? [url], stateDir: stateDir(name))
        config.caFile = dataDir + "/ca.crt"
        config.joinToken = token
        config.heartbeatInterval = "1s"
        config.pollWait = "1s"
        config.nodeName = hostname ?? name
        config.labels = labels
        config.healthChecks = healthChecks
        let path = dir + "/agent.yaml"
        try SecureFile.write(config.yamlText(), to: path)
        return path
    }

    /// `environment` is added to the test's own (a `PATH` with a fake nvidia-smi first, say).
    @discardableResult
    func startAgent(
        _ name: String, token: String?, labels: [String: String]? = nil, healthChecks: [NodeHealthCheck]? = nil, hostname: String? = nil,
        environment: [String: String] = [:], coordinatorURLs: [String]? = nil
    ) throws -> ChildProcess {
        let config = try agentConfig(name, token: token, labels: labels, healthChecks: healthChecks, hostname: hostname, coordinatorURLs: coordinatorURLs)
        let process = try ChildProcess(Self.agentBinary, ["run", "--config", config], logPath: root + "/agents/\(name)/agent.log", environment: environment)
        agents[name] = process
        return process
    }

    func nodes() async throws -> [NodeView] {
        try await admin().get("/v1/nodes", as: NodeListResponse.self).nodes
    }

    /// Waits until `names` are enrolled, `ready` and have sent facts; returns them by name.
    func waitForReady(_ names: [String], timeout: TimeInterval = 30) async throws -> [String: NodeView] {
        var found: [String: NodeView] = [:]
        let ok = await eventually(timeout: timeout) {
            guard let nodes = try? await self.nodes() else { return false }
            found = Dictionary(nodes.map { ($0.hostname, $0) }, uniquingKeysWith: { $1 })
            return names.allSatisfy { found[$0]?.status == "ready" && found[$0]?.facts != nil }
        }
        guard ok else {
            let logs = names.map { "\($0): \(agents[$0]?.log ?? "")" }.joined(separator: "\n")
            throw ShoalError(.internalError, "nodes \(names) not ready; saw \(found.mapValues(\.status))\n\(logs)")
        }
        return found
    }

    func task(_ id: String) async throws -> TaskView {
        try await admin().get("/v1/tasks/\(id)", as: TaskView.self)
    }

    /// Waits until the task has no node left queued or sent.
    func waitForTask(_ id: String, timeout: TimeInterval = 30) async throws -> TaskView {
        var view: TaskView?
        _ = await eventually(timeout: timeout) {
            view = try? await self.task(id)
            return view?.isFinished == true
        }
        guard let view else { throw ShoalError(.internalError, "task \(id) not readable") }
        return view
    }

    func tearDown() async {
        for agent in agents.values { agent.stop(grace: 5) }
        coordinator?.stop(grace: 10)
        await adminClient.shutdown()
        if ProcessInfo.processInfo.environment["SHOAL_KEEP_TEST_DIRS"] == nil {
            try? FileManager.default.removeItem(atPath: root)
        }
    }
}
