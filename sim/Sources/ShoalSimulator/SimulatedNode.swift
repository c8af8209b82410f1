import Foundation
import Logging
import ShoalAgent
import ShoalClient
import ShoalCore
import Synchronization

/// One simulated node: the real agent's enrollment (`Enroller`), state directory and trust
/// state (`TrustState`, so bundles are verified exactly as an agent verifies them), its own
/// mutual-TLS client, and two loops — heartbeats and the long poll — as the agent runs them
/// (or, with one connection per node, both in turn on one connection).
/// Steps are not run: each takes `stepDuration`, fails at `failureRate` and writes
/// `outputBytes` of output, which is uploaded for real.
final class SimulatedNode: Sendable {
    let index: Int
    let hostname: String
    let state: AgentStateDirectory
    let hardware: SimulatedHardware
    let options: SimulatorOptions
    let stats: SimulatorStats
    let logger: Logger

    /// What the node holds while it runs; nil while it is down.
    struct Running: Sendable {
        var client: APIClient
        var task: Task<Void, Never>
    }
    private let running = Mutex<Running?>(nil)
    private let identity = Mutex<(nodeID: String, trust: TrustState)?>(nil)

    init(index: Int, hostname: String, state: AgentStateDirectory, hardware: SimulatedHardware, options: SimulatorOptions, stats: SimulatorStats, logger: Logger) {
        self.index = index
        self.hostname = hostname
        self.state = state
        self.hardware = hardware
        self.options = options
        self.stats = stats
        self.logger = logger
    }

    var isRunning: Bool { running.withLock { $0 != nil } }
    var nodeID: String? { identity.withLock { $0?.nodeID } }

    /// Enrolls with the join token unless the state directory already holds an identity (a
    /// second run), retrying while the coordinator is unreachable or asks to slow down.
    func enrollIfNeeded() async throws {
        if state.isEnrolled {
            stats.reusedIdentity()
        } else {
            guard let token = options.token else {
                throw ShoalError(.notEnrolled, "node \(hostname) has no identity in \(state.path) and no --token was given")
            }
            let enroller = Enroller(
                coordinatorURLs: [options.coordinatorURL], token: token, pin: .certificate(pem: options.caPEM), state: state,
                nodeName: hostname, labels: options.labels, logger: logger
            )
            var attempt = 0
            while true {
                do {
                    _ = try await enroller.enroll()
                    stats.enrolled()
                    break
                } catch let error as ShoalError where [ShoalError.Code.unreachable, .rateLimited].contains(error.code) && attempt < 20 {
                    stats.error(code: error.code.rawValue)
                    attempt += 1
                    try await Task.sleep(for: error.retryDelay(fallback: .milliseconds(200 * attempt)))
                }
            }
        }
        let loaded = try state.loadIdentity()
        let trust = try TrustState(state: state, enrolledLabels: loaded.labels)
        identity.withLock { $0 = (loaded.nodeID, trust) }
    }

    /// Opens the node's mutual-TLS client and starts its loops; a no-op while it runs.
    func start() throws {
        guard let held = identity.withLock({ $0 }) else {
            throw ShoalError(.notEnrolled, "node \(hostname) is not enrolled")
        }
        let (nodeID, trust) = (held.nodeID, held.trust)
        guard !isRunning else { return }
        let credentials = try state.credentials()
        let client = APIClient(
            baseURL: options.coordinatorURL,
            tls: try ClientTLS.mutual(caPEM: credentials.ca, certificatePEM: credentials.certificate, keyPEM: credentials.key)
        )
        let node = self
        running.withLock { current in
            let task = Task {
                guard node.options.connectionsPerNode >= 2 else {
                    return await node.sharedConnectionLoop(client: client, nodeID: nodeID, trust: trust)
                }
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await node.heartbeatLoop(client: client, nodeID: nodeID, trust: trust) }
                    group.addTask { await node.pollLoop(client: client, nodeID: nodeID, trust: trust) }
                }
            }
            current = Running(client: client, task: task)
            stats.nodeUp()
        }
    }

    /// Stops the loops and closes the node's connections, as a node that goes away does.
    func stop(churned: Bool = false) async {
        guard let current = running.withLock({ current in
            defer { current = nil }
            return current
        }) else { return }
        current.task.cancel()
        await current.task.value
        await current.client.shutdown()
        stats.nodeDown(churned: churned)
    }

    /// Heartbeats every interval (±10 %), as the agent's heartbeat service does.
    func heartbeatLoop(client: APIClient, nodeID: String, trust: TrustState) async {
        var factsSent = false
        while !Task.isCancelled {
            let delay = await beat(client: client, nodeID: nodeID, trust: trust, factsSent: &factsSent)
            try? await Task.sleep(for: delay)
        }
    }

    /// One heartbeat: facts with the first one after a start, trust updates accepted through
    /// `TrustState`. Returns how long to wait for the next (longer when the coordinator asks).
    func beat(client: APIClient, nodeID: String, trust: TrustState, factsSent: inout Bool) async -> Duration {
        let request = HeartbeatRequest(
            sentAt: Date(), metrics: hardware.sample(), facts: factsSent ? nil : hardware.facts, spooledResults: 0,
            trustVersion: await trust.version, labelsVersion: await trust.labels.version
        )
        let delay = Duration.milliseconds(Int64(options.heartbeatInterval * Double.random(in: 0.9...1.1) * 1000))
        let began = ContinuousClock.now
        do {
            let response = try await client.post("/v1/agent/\(nodeID)/heartbeat", body: request, as: HeartbeatResponse.self)
            stats.heartbeat(milliseconds: Self.milliseconds(ContinuousClock.now - began))
            factsSent = true
            await accept(response, nodeID: nodeID, trust: trust)
            return delay
        } catch {
            guard !Task.isCancelled else { return delay }
            record(error)
            return (error as? ShoalError)?.retryDelay(fallback: delay) ?? delay
        }
    }

    func accept(_ response: HeartbeatResponse, nodeID: String, trust: TrustState) async {
        do {
            if let chain = response.trust, !chain.isEmpty { try await trust.accept(chain: chain) }
            if let statement = response.labelStatement { try await trust.accept(labelStatement: statement, nodeID: nodeID) }
        } catch {
            stats.error(code: "trust.refused")
            logger.error("refused a trust update", metadata: ["node": "\(hostname)", "error": "\(error)"])
        }
    }

    func record(_ error: any Error) {
        let code = (error as? ShoalError)?.code.rawValue ?? "other"
        stats.error(code: code)
        logger.debug("request failed", metadata: ["node": "\(hostname)", "error": "\(error)"])
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }
}
