import Foundation
import Logging
import ServiceLifecycle
import ShoalClient
import ShoalCore

/// Long-polls the coordinator for bundles and runs them one at a time, in sequence order.
/// After each bundle it nudges the uploader so results travel at once.
public struct WorkService: Service {
    let client: APIClient
    let nodeID: String
    let pollWait: Int
    let executor: BundleExecutor
    let uploader: ResultUploadService
    let trust: TrustState
    let logger: Logger

    public init(client: APIClient, nodeID: String, pollWait: Int, executor: BundleExecutor, uploader: ResultUploadService, trust: TrustState, logger: Logger) {
        self.trust = trust
        self.client = client
        self.nodeID = nodeID
        self.pollWait = pollWait
        self.executor = executor
        self.uploader = uploader
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { [self] in
            var backoff = Backoff()
            // The coordinator hands a bundle out again when it never heard it start (a poll
            // that died, a start confirmation that failed); one this process already ran is
            // skipped, its result is on its way through the spool.
            var handled: [String] = []
            while !Task.isCancelled {
                do {
                    let response = try await client.get(
                        "/v1/agent/\(nodeID)/bundles?wait=\(pollWait)&trust=\(await trust.version)", as: BundlePollResponse.self,
                        timeout: .seconds(Int64(pollWait) + 15)
                    )
                    backoff.reset()
                    // A newer trust document comes before any delivery: a revocation it
                    // carries applies to the bundles in this very answer.
                    if let chain = response.trust, !chain.isEmpty {
                        do {
                            try await trust.accept(chain: chain)
                            let version = await trust.version
                            logger.info("trust document accepted", metadata: ["version": "\(version)"])
                        } catch {
                            logger.error("refused a trust document from the coordinator", metadata: ["error": "\(error)"])
                        }
                    }
                    let fresh = response.deliveries.filter { !handled.contains($0.deliveryID) }
                    if fresh.isEmpty, !response.deliveries.isEmpty {
                        // Only bundles already run (their results still uploading): the
                        // coordinator answers at once, so do not spin on it.
                        try await Task.sleep(for: backoff.next())
                    }
                    for delivery in fresh {
                        handled = Array((handled + [delivery.deliveryID]).suffix(256))
                        try await executor.handle(delivery)
                        uploader.nudge()
                    }
                } catch let error as ShoalError where error.code == .nodeRevoked {
                    logger.error("this node was revoked by the coordinator; stopping work", metadata: ["error": "\(error)"])
                    try await Task.sleep(for: .seconds(60))
                } catch is CancellationError {
                    return
                } catch {
                    let delay = (error as? ShoalError)?.retryDelay(fallback: backoff.next()) ?? backoff.next()
                    logger.warning("polling for work failed; retrying", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                    try await Task.sleep(for: delay)
                }
            }
        }
    }
}

/// Exponential backoff from 1 s to 30 s with full jitter, for retrying an unreachable coordinator.
struct Backoff {
    var attempt = 0
    mutating func next() -> Duration {
        attempt += 1
        let ceiling = min(30.0, pow(2.0, Double(min(attempt, 6) - 1)))
        return .milliseconds(Int64(Double.random(in: 0.5...1.0) * ceiling * 1000))
    }
    mutating func reset() { attempt = 0 }
}
