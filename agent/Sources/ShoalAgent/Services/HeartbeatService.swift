import Foundation
import Logging
import ServiceLifecycle
import ShoalClient
import ShoalCore

/// Sends a heartbeat every interval (±10 % jitter, so a fleet restarted together does not
/// beat in lockstep) with metrics, and the facts whenever they changed (`HeartbeatComposer`).
public struct HeartbeatService: Service {
    let client: APIClient
    let nodeID: String
    let interval: Duration
    let facts: NodeFactsSource
    let metrics: MetricsSampler
    let spool: ResultSpool
    let cancellations: BundleCancellations
    let checks: NodeCheckBoard
    let trust: TrustState?
    /// Signalled when the coordinator asks for a certificate from its current CA.
    let renewalRequests: Wakeup?
    let logger: Logger

    public init(
        client: APIClient, nodeID: String, interval: Duration, facts: NodeFactsSource, metrics: MetricsSampler = MetricsSampler(), spool: ResultSpool,
        cancellations: BundleCancellations, checks: NodeCheckBoard = NodeCheckBoard(), trust: TrustState? = nil,
        renewalRequests: Wakeup? = nil, logger: Logger
    ) {
        self.trust = trust
        self.renewalRequests = renewalRequests
        self.checks = checks
        self.client = client
        self.nodeID = nodeID
        self.interval = interval
        self.facts = facts
        self.metrics = metrics
        self.spool = spool
        self.cancellations = cancellations
        self.logger = logger
    }

    public func run() async throws {
        let client = self.client
        try? await cancelWhenGracefulShutdown { [self] in
            var composer = HeartbeatComposer(facts: facts, metrics: metrics, checks: checks, spool: spool, trust: trust)
            while !Task.isCancelled {
                let (composed, current) = await composer.compose()
                var request = composed
                // Where this beat goes: `nodes show` tells operators which URL each node uses.
                request.coordinatorURL = client.baseURL
                do {
                    let response = try await client.post("/v1/agent/\(nodeID)/heartbeat", body: request, as: HeartbeatResponse.self)
                    composer.acknowledged(current)
                    await acceptTrustUpdates(response)
                    if response.renewCertificate == true { renewalRequests?.signal() }
                    if !response.cancel.isEmpty {
                        logger.warning("operator cancelled running work", metadata: ["deliveries": "\(response.cancel)"])
                        cancellations.request(response.cancel)
                    }
                    try await Task.sleep(for: Self.jittered(interval))
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("heartbeat failed", metadata: ["error": "\(error)"])
                    // A coordinator that says "too fast" is obeyed: wait as long as it asks.
                    let fallback = Self.jittered(interval)
                    try await Task.sleep(for: (error as? ShoalError)?.retryDelay(fallback: fallback) ?? fallback)
                }
            }
        }
    }

    /// Newer trust documents and label statements ride on the answer; each is checked by
    /// `TrustState` and refused (logged, never used) if it does not hold.
    func acceptTrustUpdates(_ response: HeartbeatResponse) async {
        guard let trust else { return }
        do {
            if let chain = response.trust, !chain.isEmpty {
                try await trust.accept(chain: chain)
                let version = await trust.version
                logger.info("trust document accepted", metadata: ["version": "\(version)"])
            }
            if let statement = response.labelStatement {
                try await trust.accept(labelStatement: statement, nodeID: nodeID)
                let version = await trust.labels.version
                logger.info("labels changed by a signed statement", metadata: ["version": "\(version)"])
            }
        } catch {
            logger.error("refused a trust update from the coordinator", metadata: ["error": "\(error)"])
        }
    }

    static func jittered(_ interval: Duration) -> Duration {
        interval * Double.random(in: 0.9...1.1)
    }
}
