import Foundation
import Logging
import ServiceLifecycle
import ShoalClient
import ShoalCore

/// Sends a heartbeat every interval (±10 % jitter, so a fleet restarted together does not
/// beat in lockstep) with metrics, and the facts whenever they changed.
public struct HeartbeatService: Service {
    let client: APIClient
    let nodeID: String
    let interval: Duration
    let facts: FactsCollector
    let metrics: MetricsSampler
    let spool: ResultSpool
    let cancellations: BundleCancellations
    let checks: NodeCheckBoard
    let logger: Logger

    public init(
        client: APIClient, nodeID: String, interval: Duration, facts: FactsCollector, spool: ResultSpool,
        cancellations: BundleCancellations, checks: NodeCheckBoard = NodeCheckBoard(), logger: Logger
    ) {
        self.checks = checks
        self.client = client
        self.nodeID = nodeID
        self.interval = interval
        self.facts = facts
        self.metrics = MetricsSampler()
        self.spool = spool
        self.cancellations = cancellations
        self.logger = logger
    }

    public func run() async throws {
        let client = self.client
        try? await cancelWhenGracefulShutdown { [self] in
            var sentFacts: NodeFacts?
            while !Task.isCancelled {
                let current = await facts.collectIncludingGPU()
                var sample = await metrics.sample()
                sample.checks = await checks.snapshot()
                let request = HeartbeatRequest(
                    sentAt: Date(), metrics: sample, facts: current == sentFacts ? nil : current,
                    spooledResults: spool.count
                )
                do {
                    let response = try await client.post("/v1/agent/\(nodeID)/heartbeat", body: request, as: HeartbeatResponse.self)
                    sentFacts = current
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

    static func jittered(_ interval: Duration) -> Duration {
        interval * Double.random(in: 0.9...1.1)
    }
}
