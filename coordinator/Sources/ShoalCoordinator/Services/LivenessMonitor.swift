import Foundation
import Logging
import ServiceLifecycle
import ShoalCore

/// Marks nodes `down` when they miss heartbeats for TTL + grace. `down` is only a status:
/// it never triggers destructive action, and the next heartbeat makes the node `ready`.
public struct LivenessMonitor: Service {
    let store: any FleetStore
    let ttl: Duration
    let grace: Duration
    let logger: Logger

    public init(store: any FleetStore, ttl: Duration, grace: Duration, logger: Logger) {
        self.store = store
        self.ttl = ttl
        self.grace = grace
        self.logger = logger
    }

    public func run() async throws {
        let period = min(Duration.seconds(5), max(Duration.milliseconds(500), ttl / 4))
        try? await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                let now = Date()
                let limit = ttl + grace
                let cutoff = now.addingTimeInterval(-Double(limit.components.seconds) - Double(limit.components.attoseconds) / 1e18)
                do {
                    let down = try await store.markDown(lastHeartbeatBefore: cutoff, now: now)
                    for id in down {
                        logger.warning("node is down: no heartbeat within TTL + grace", metadata: ["node": "\(id)"])
                    }
                    // Deliveries queued for a node that went down are retried elsewhere in time.
                    if !down.isEmpty { store.taskChanges.fleetChanged() }
                } catch {
                    logger.error("liveness check failed", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: period)
            }
        }
    }
}
