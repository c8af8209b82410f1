import Foundation
import Logging
import ServiceLifecycle
import ShoalCore

/// Marks nodes `down` when they miss heartbeats for TTL + grace. `down` is only a status:
/// it never triggers destructive action, and the next heartbeat makes the node `ready`.
///
/// It sleeps until the oldest ready node could be overdue, not on a fixed period: on a
/// healthy fleet that is a wake-up every TTL or so, however many nodes there are. A heartbeat
/// only ever moves that moment later, so nothing needs to wake it early.
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

    var limit: TimeInterval {
        let limit = ttl + grace
        return Double(limit.components.seconds) + Double(limit.components.attoseconds) / 1e18
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                var delay = limit / 2
                do {
                    let now = Date()
                    let down = try await store.markDown(lastHeartbeatBefore: now.addingTimeInterval(-limit), now: now)
                    for id in down {
                        logger.warning("node is down: no heartbeat within TTL + grace", metadata: ["node": "\(id)"])
                    }
                    // Deliveries queued for a node that went down are retried elsewhere in time.
                    if !down.isEmpty { store.taskChanges.fleetChanged() }
                    if let oldest = try await store.oldestReadyHeartbeat() {
                        delay = Self.delay(untilOverdue: oldest, limit: limit, now: Date())
                    }
                } catch {
                    logger.error("liveness check failed", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: .milliseconds(Int64(delay * 1000)))
            }
        }
    }

    /// How long until a node last heard from at `oldest` is overdue: just past that moment, at
    /// least 0.1 s (no spinning on a clock step) and at most half the limit, so a node that
    /// enrolls while no node is ready is marked down at most half a limit late.
    static func delay(untilOverdue oldest: Date, limit: TimeInterval, now: Date) -> TimeInterval {
        let due = oldest.addingTimeInterval(limit).timeIntervalSince(now) + 0.05
        return min(max(due, 0.1), limit / 2)
    }
}
