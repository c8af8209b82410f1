import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle
import ShoalCore
import Synchronization

/// `/v1/agent/{node}/...`: what agents call, with their node certificate, for their own node.
/// A node is trusted with its identity only, so every route here is bounded: body sizes,
/// requests per second per node (`RequireNodeMiddleware`), heartbeats per interval, one
/// long poll per node, and output only for the node's own running deliveries.
struct AgentRoutes: Sendable {
    let fleet: Fleet
    let notifier: WorkNotifier
    let engine: RolloutEngine
    let limits: CoordinatorLimits.Resolved
    /// Heartbeats per node: a burst of 5, then one per half heartbeat interval, so a node's
    /// normal rhythm (±10 % jitter, a beat at each restart) is never refused.
    let heartbeats: KeyedRateLimiter
    let requests: KeyedRateLimiter
    /// Deliveries with an output upload in progress: one at a time each, so parallel
    /// uploads cannot each pass the per-delivery cap.
    let uploading = UploadGate()
    /// The longest a long poll is held open.
    static let maxPollWait = 60

    init(fleet: Fleet, notifier: WorkNotifier, engine: RolloutEngine, limits: CoordinatorLimits.Resolved) {
        self.fleet = fleet
        self.notifier = notifier
        self.engine = engine
        self.limits = limits
        let interval = Double(max(fleet.config.seconds(\.heartbeatInterval), 1))
        self.heartbeats = KeyedRateLimiter(capacity: 5, perSecond: 2 / interval)
        self.requests = KeyedRateLimiter(capacity: limits.agentRequestBurst, perSecond: Double(limits.agentRequestsPerSecond))
    }

    func add(to router: Router<CoordinatorRequestContext>) {
        let group = router.group("/v1/agent/{node}").add(middleware: RequireNodeMiddleware(store: fleet.store, currentCA: fleet.ca.certificate.subject, limiter: requests))
        let limit = fleet.config.maxBodyBytes
        group.post("heartbeat") { request, context in
            let nodeID = try context.parameters.require("node")
            if let wait = heartbeats.take(nodeID) {
                throw ShoalError(.rateLimited, "node \(nodeID) sends heartbeats faster than one per \(fleet.config.heartbeatInterval) allows; next one in \(wait)s", retryAfterSeconds: wait)
            }
            let body = try await request.decodeJSON(HeartbeatRequest.self, limit: limits.maxHeartbeatBytes)
            try body.validate()
            let now = Date()
            // One write that also reads what the answer needs: status, cancellations, and the
            // label statement when the node's copy is behind.
            let outcome = try await fleet.store.recordHeartbeat(
                nodeID: nodeID, at: now, metricsJSON: try body.metrics.jsonText(), factsJSON: try body.facts?.jsonText(),
                point: MetricPoint(minuteOf: now, metrics: body.metrics), labelsVersionHeld: body.labelsVersion ?? 0,
                // Validated (https, bounded, printable) but only ever shown: never connected to.
                coordinatorURL: body.coordinatorURL
            )
            // What the node holds is behind: bring the newer trust documents.
            let trust = try await TrustRoutes(fleet: fleet).chain(after: body.trustVersion ?? 0)
            return try JSONResponse.make(HeartbeatResponse(
                serverTime: Date(), status: outcome?.status.rawValue ?? "unknown", cancel: outcome?.cancellations ?? [],
                trust: trust.isEmpty ? nil : trust, labelStatement: outcome?.labelStatement,
                // After a CA rotation, nodes move to the new CA at once instead of at renewal time.
                renewCertificate: context.peerIssuer != fleet.ca.certificate.subject ? true : nil
            ))
        }
        group.get("bundles") { request, context in
            try await poll(
                nodeID: try context.parameters.require("node"), wait: try request.uri.queryParameters.integer("wait") ?? 0,
                trustVersion: try request.uri.queryParameters.integer("trust")
            )
        }
        group.post("results") { request, context in
            let nodeID = try context.parameters.require("node")
            let body = try await request.decodeJSON(ResultsUpload.self, limit: limit)
            var acknowledged: [String] = []
            for result in body.results where try await fleet.store.recordResult(result, fromNode: nodeID, now: Date()) {
                acknowledged.append(result.deliveryID)
            }
            engine.nudge()
            return try JSONResponse.make(ResultsAck(acknowledged: acknowledged))
        }
        group.put("deliveries/{delivery}/output") { request, context in
            try await storeOutput(request, context: context)
        }
        group.post("renew") { request, context in
            try await renew(request, context: context)
        }
        group.post("deliveries/{delivery}/start") { _, context in
            let nodeID = try context.parameters.require("node")
            let deliveryID = try context.parameters.require("delivery")
            let proceed = try await fleet.store.startDelivery(deliveryID: deliveryID, nodeID: nodeID, now: Date())
            if !proceed { engine.nudge() }
            return try JSONResponse.make(DeliveryStartResponse(proceed: proceed))
        }
    }

    /// The long poll: answers at once when bundles are queued, else waits for the notifier.
    /// A node holds one poll at a time: a new one releases the one before (its answer is
    /// empty), so a node cannot pile up waiting requests.
    func poll(nodeID: String, wait requested: Int, trustVersion: Int?) async throws -> Response {
        let wait = min(max(requested, 0), Self.maxPollWait)
        let deadline = ContinuousClock.now + .seconds(wait)
        let ticket = await notifier.claim(nodeID: nodeID)
        defer { Task { await notifier.release(nodeID: nodeID, ticket: ticket) } }
        while true {
            let deliveries = try await fleet.store.takeQueuedDeliveries(nodeID: nodeID, now: Date())
            if !deliveries.isEmpty || ContinuousClock.now >= deadline {
                let items = deliveries.compactMap { delivery in
                    delivery.envelope.map { BundlePollResponse.Delivery(deliveryID: delivery.id, envelope: $0) }
                }
                // Trust first: a node behind gets the newer documents with (before) its work.
                var trust: [DSSEEnvelope] = []
                if let trustVersion { trust = try await TrustRoutes(fleet: fleet).chain(after: trustVersion) }
                return try JSONResponse.make(BundlePollResponse(deliveries: items, trust: trust.isEmpty ? nil : trust))
            }
            let wake = await withGracefulShutdownHandler {
                await notifier.wait(for: nodeID, ticket: ticket, timeout: deadline - ContinuousClock.now)
            } onGracefulShutdown: {
                Task { await notifier.shutdown() }
            }
            if wake == .shutdown || wake == .replaced || Task.isCancelled {
                return try JSONResponse.make(BundlePollResponse(deliveries: []))
            }
        }
    }
}
