import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle
import X509
import ShoalCore

/// `/v1/agent/{node}/...`: what agents call, with their node certificate, for their own node.
struct AgentRoutes: Sendable {
    let fleet: Fleet
    let notifier: WorkNotifier
    let engine: RolloutEngine
    /// The longest a long poll is held open.
    static let maxPollWait = 60

    func add(to router: Router<CoordinatorRequestContext>) {
        let group = router.group("/v1/agent/{node}").add(middleware: RequireNodeMiddleware(store: fleet.store))
        let limit = fleet.config.maxBodyBytes
        group.post("heartbeat") { request, context in
            let nodeID = try context.parameters.require("node")
            let body = try await request.decodeJSON(HeartbeatRequest.self, limit: limit)
            let node = try await fleet.store.recordHeartbeat(
                nodeID: nodeID, at: Date(), metricsJSON: try body.metrics.jsonText(), factsJSON: try body.facts?.jsonText()
            )
            let cancel = try await fleet.store.cancellationsRequested(nodeID: nodeID)
            return try JSONResponse.make(HeartbeatResponse(serverTime: Date(), status: node?.status.rawValue ?? "unknown", cancel: cancel))
        }
        group.get("bundles") { request, context in
            let nodeID = try context.parameters.require("node")
            let wait = min(max(request.uri.queryParameters.get("wait", as: Int.self) ?? 0, 0), Self.maxPollWait)
            let deadline = ContinuousClock.now + .seconds(wait)
            while true {
                let deliveries = try await fleet.store.takeQueuedDeliveries(nodeID: nodeID, now: Date())
                if !deliveries.isEmpty || ContinuousClock.now >= deadline {
                    let items = deliveries.compactMap { delivery in
                        delivery.envelope.map { BundlePollResponse.Delivery(deliveryID: delivery.id, envelope: $0) }
                    }
                    return try JSONResponse.make(BundlePollResponse(deliveries: items))
                }
                let wake = await withGracefulShutdownHandler {
                    await notifier.wait(for: nodeID, timeout: deadline - ContinuousClock.now)
                } onGracefulShutdown: {
                    Task { await notifier.shutdown() }
                }
                if wake == .shutdown || Task.isCancelled { return try JSONResponse.make(BundlePollResponse(deliveries: [])) }
            }
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
        let outputs = TaskOutputFiles(root: fleet.paths.outputDirectory)
        group.put("deliveries/{delivery}/output") { request, context in
            let nodeID = try context.parameters.require("node")
            let deliveryID = try context.parameters.require("delivery")
            guard let delivery = try await fleet.store.delivery(id: deliveryID), delivery.nodeID == nodeID else {
                throw ShoalError(.notFound, "no delivery \(deliveryID) for node \(nodeID)")
            }
            guard let step = request.uri.queryParameters.get("step", as: Int.self), (0..<10_000).contains(step),
                  let stream = request.uri.queryParameters.get("stream", as: String.self), StepOutputFile.streams.contains(stream) else {
                throw ShoalError(.invalidArgument, "output upload needs step=N and stream=stdout|stderr")
            }
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: StepOutputFile.cap + 4096)
            } catch {
                throw ShoalError(.bodyTooLarge, "step output is larger than the \(StepOutputFile.cap)-byte cap")
            }
            try outputs.write(Data(body.readableBytesView), taskID: delivery.taskID, deliveryID: deliveryID, step: step, stream: stream)
            return try JSONResponse.make(["stored": Data(body.readableBytesView).count])
        }
        group.post("renew") { request, context in
            let nodeID = try context.parameters.require("node")
            let body = try await request.decodeJSON(RenewRequest.self, limit: 64 * 1024)
            let csr = try CertificateSigningRequest.parse(pem: body.csr)
            let now = Date()
            let certificate = try fleet.ca.issueClientCertificate(
                csr: csr, identity: PeerIdentity(role: .node, name: nodeID), validity: TimeInterval(fleet.config.seconds(\.nodeCertificateValidity)), now: now
            )
            try await fleet.store.replaceCertificate(nodeID: nodeID, serial: certificate.serialHex, expiresAt: certificate.notValidAfter, now: now)
            context.logger.info("node certificate renewed", metadata: ["node": "\(nodeID)"])
            return try JSONResponse.make(RenewResponse(certificate: try certificate.pemText))
        }
        group.post("deliveries/{delivery}/start") { _, context in
            let nodeID = try context.parameters.require("node")
            let deliveryID = try context.parameters.require("delivery")
            let proceed = try await fleet.store.startDelivery(deliveryID: deliveryID, nodeID: nodeID, now: Date())
            if !proceed { engine.nudge() }
            return try JSONResponse.make(DeliveryStartResponse(proceed: proceed))
        }
    }
}
