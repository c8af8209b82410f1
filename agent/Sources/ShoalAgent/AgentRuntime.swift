import Foundation
import Logging
import ServiceLifecycle
import ShoalClient
import ShoalCore

/// `agent run`: enroll if needed, recover from a crash, then run heartbeat, work and
/// result-upload services in one `ServiceGroup` until SIGTERM/SIGINT.
public struct AgentRuntime: Sendable {
    public var config: AgentConfig
    public var logger: Logger

    public init(config: AgentConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    public func run() async throws {
        let state = AgentStateDirectory(path: config.stateDir)
        try state.prepare()
        if !state.isEnrolled {
            try await enrollFromConfig(state: state)
        }
        let identity = try state.loadIdentity()
        // Before the credentials are read: it brings ca.crt in line with the trust document.
        let trust = try TrustState(state: state, pinnedRoots: config.trustRoot, enrolledLabels: identity.labels)
        let credentials = try state.credentials()
        var logger = self.logger
        logger[metadataKey: "node"] = "\(identity.nodeID)"
        // One URL at a time, from a random one on; a request that cannot reach it moves every
        // service on to the next, and their retries (on their usual backoff) go there.
        let client = APIClient(
            endpoints: try CoordinatorEndpoints.jittered(identity.coordinatorURLs),
            tls: try ClientTLS.mutual(caPEM: credentials.ca, certificatePEM: credentials.certificate, keyPEM: credentials.key)
        ) { [logger] from, to, reason in
            let why = reason.code == .unreachable ? "cannot reach the coordinator" : "the coordinator cannot serve now (\(reason.code.rawValue))"
            logger.warning("\(why); moving to the next URL", metadata: ["from": "\(from)", "to": "\(to)", "error": "\(reason.message)"])
        }
        let spool = ResultSpool(directory: state.spoolDirectory)
        let interrupted = try RunningMarker.recover(state: state, spool: spool)
        for result in interrupted {
            logger.warning("bundle was interrupted by an agent stop; reporting it, not re-running it", metadata: ["bundle": "\(result.bundleID)"])
        }
        let uploader = ResultUploadService(client: client, nodeID: identity.nodeID, spool: spool, outputRoot: state.outputDirectory, logger: logger)
        let cancellations = BundleCancellations()
        let nodeID = identity.nodeID
        let gateLogger = logger
        // One sampler: heartbeats send its samples, and a task's `gpu.health` selector is
        // checked against the latest one, the same figures the coordinator selected by.
        let sampler = MetricsSampler()
        // One facts source: heartbeats and bundle starts share its collection and its GPU cache.
        let facts = NodeFactsSource(collector: FactsCollector(nodeName: config.nodeName))
        // The root changed which fleet CAs to trust (CA rotation): new connections use the new set.
        await trust.onCAChange { [logger] bundle in
            let current = try state.credentials()
            client.replaceTLS(try ClientTLS.mutual(caPEM: bundle, certificatePEM: current.certificate, keyPEM: current.key))
            logger.info("trusting the fleet CAs the trust document lists", metadata: ["certificates": "\(bundle.components(separatedBy: "-----BEGIN CERTIFICATE-----").count - 1)"])
        }
        let executor = BundleExecutor(
            state: state, spool: spool, nodeID: identity.nodeID, trust: trust, claimedLabels: config.labels ?? [:], logger: logger,
            cancellations: cancellations,
            startGate: { deliveryID in
                // Work already pulled runs even if the coordinator is briefly away; only an
                // explicit "cancelled" answer stops it.
                do {
                    return try await client.post("/v1/agent/\(nodeID)/deliveries/\(deliveryID)/start", body: [String: String](), as: DeliveryStartResponse.self).proceed
                } catch is CancellationError {
                    // The agent is stopping: not a failure to log. Proceeding lets the stop
                    // reach the steps, which report the bundle interrupted, the true outcome.
                    return true
                } catch {
                    gateLogger.warning("could not confirm start with the coordinator; running anyway", metadata: ["error": "\(error)"])
                    return true
                }
            },
            facts: { await facts.current() },
            factsChanged: { facts.invalidate() },
            metrics: { await sampler.latest }
        )
        let checkList = config.healthChecks ?? []
        let board = NodeCheckBoard(names: checkList.map(\.name))
        let nodeChecks = NodeHealthCheckService(checks: checkList, board: board, outputDirectory: state.outputDirectory + "/checks", logger: logger)
        let renewalRequests = Wakeup()
        let heartbeat = HeartbeatService(
            client: client, nodeID: identity.nodeID, interval: .seconds(try config.heartbeatSeconds),
            facts: facts, metrics: sampler, spool: spool, cancellations: cancellations, checks: board, trust: trust,
            renewalRequests: renewalRequests, logger: logger
        )
        let work = WorkService(
            client: client, nodeID: identity.nodeID, pollWait: try config.pollWaitSeconds, executor: executor, uploader: uploader, trust: trust, logger: logger
        )
        let renewal = CertificateRenewalService(client: client, state: state, nodeID: identity.nodeID, requested: renewalRequests, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [heartbeat, work, uploader, renewal, nodeChecks], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        ))
        logger.info("agent running", metadata: ["coordinator": "\(client.baseURL)", "version": "\(AgentVersion.current)"])
        do {
            try await group.run()
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }

    /// First start with a join token in the config (bootstrap or cloud-init): enroll by itself.
    func enrollFromConfig(state: AgentStateDirectory) async throws {
        guard let token = config.joinToken, !token.isEmpty else {
            throw ShoalError(.notEnrolled, "this node has no identity in \(config.stateDir) and the config holds no join_token: run 'agent enroll' or add a join_token")
        }
        let enroller = Enroller(
            coordinatorURLs: config.coordinatorURLList, token: token, pin: try Self.pin(from: config), state: state,
            nodeName: config.nodeName ?? FactsCollector.hostname(), labels: config.labels ?? [:], trustRoot: config.trustRoot, logger: logger
        )
        var backoff = Backoff()
        while true {
            do {
                _ = try await enroller.enroll()
                return
            } catch let error as ShoalError where error.code == .unreachable {
                // The coordinator may come up after this node (cloud-init): keep trying.
                let delay = backoff.next()
                logger.warning("enrollment could not reach the coordinator; retrying", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                try await Task.sleep(for: delay)
            }
        }
    }

    public static func pin(from config: AgentConfig) throws -> Enroller.CAPin {
        if let pem = config.caCertificate, !pem.isEmpty { return .certificate(pem: pem) }
        if let file = config.caFile { return .certificate(pem: try SecureFile.read(file)) }
        if let fingerprint = config.caFingerprint { return .fingerprint(fingerprint) }
        throw ShoalError(.configInvalid, "the agent config pins no CA: set ca_file, ca_certificate or ca_fingerprint")
    }
}
