import Foundation
import Hummingbird
import NIOCore
import X509
import ShoalCore

/// Operator routes: nodes, tokens, tasks. Reads need any operator role; changes need
/// `operator` or `admin`; tokens need `admin`. Every change is written to the audit chain in
/// its own transaction (see `AuditEntry+Changes`). Operator credentials have their own routes
/// (`OperatorCredentialRoutes`).
struct OperatorRoutes: Sendable {
    let fleet: Fleet
    let engine: RolloutEngine

    func add(to router: Router<CoordinatorRequestContext>) {
        let read = router.group("/v1").add(middleware: RequireOperatorMiddleware(roles: [.admin, .operator, .viewer]))
        let write = router.group("/v1").add(middleware: RequireOperatorMiddleware(roles: [.admin, .operator]))
        let admin = router.group("/v1").add(middleware: RequireOperatorMiddleware(roles: [.admin]))
        let limit = fleet.config.maxBodyBytes
        let planner = TaskPlanner(fleet: fleet)

        read.get("nodes") { request, _ in
            var nodes = try await fleet.store.nodes()
            if let text = request.uri.queryParameters.get("selector"), !text.isEmpty {
                let selector = try NodeSelector(parsing: text)
                nodes = nodes.filter { $0.matches(selector) }
            }
            return try JSONResponse.make(NodeListResponse(nodes: nodes.map(\.view)))
        }
        read.get("nodes/{id}") { _, context in
            try JSONResponse.make(try await node(context.parameters.require("id")).view)
        }
        write.post("nodes/{id}/labels") { request, context in
            let id = try context.parameters.require("id")
            let envelope = try await request.decodeJSON(DSSEEnvelope.self, limit: 64 * 1024)
            let peer = try context.requirePeer()
            let current = try await node(id)
            let (statement, grant) = try fleet.trust.require().document.verifyLabels(envelope, nodeID: id, current: current.labels)
            guard grant.name == peer.name else {
                throw ShoalError(.forbidden, "the label statement is signed with the key of '\(grant.name)' but sent with the credential of '\(peer.name)'")
            }
            guard let updated = try await fleet.store.setLabels(
                nodeID: id, labelsJSON: try statement.labels.jsonText(), version: statement.version, statementJSON: try envelope.jsonText(),
                audit: .nodeLabelsSigned(statement, envelope: envelope, grant: grant, by: peer)
            ) else {
                throw ShoalError(.notFound, "no node \(id)")
            }
            return try JSONResponse.make(updated.view)
        }
        admin.get("nodes/{id}/enrollment") { _, context in
            try JSONResponse.make(try await node(context.parameters.require("id")).enrollment)
        }
        admin.post("nodes/{id}/revoke") { _, context in
            let id = try context.parameters.require("id")
            let peer = try context.requirePeer()
            let now = Date()
            guard let node = try await fleet.store.revoke(nodeID: id, reason: "revoked by \(peer.description)", now: now, audit: .nodeRevoked(nodeID: id, by: peer, at: now)) else {
                throw ShoalError(.notFound, "no node \(id); 'coordinator nodes list' shows the fleet")
            }
            engine.nudge()
            return try JSONResponse.make(node.view)
        }
        admin.post("tokens") { request, context in
            let body = try await request.decodeJSON(TokenCreateRequest.self, limit: limit)
            let response = try await TokenIssuer(store: fleet.store).issue(body, by: try context.requirePeer())
            return try JSONResponse.make(response, status: .created)
        }
        read.post("tasks/preview") { request, _ in
            let body = try await request.decodeJSON(TaskCreateRequest.self, limit: limit)
            return try JSONResponse.make(TaskPreview(nodes: try await planner.targets(body).map(\.view)))
        }
        write.post("tasks") { request, context in
            let body = try await request.decodeJSON(SignedTaskRequest.self, limit: limit)
            let peer = try context.requirePeer()
            let accepted = try SignedTaskIntake(fleet: fleet).check(body, sender: peer)
            guard accepted.statement.schedule == nil else {
                throw ShoalError(.invalidArgument, "this statement is signed as schedule '\(accepted.statement.schedule?.name ?? "")'; send it with POST /v1/schedules")
            }
            let view = try await planner.create(accepted, by: peer)
            engine.nudge()
            return try JSONResponse.make(view, status: .created)
        }
        write.post("tasks/{id}/cancel") { _, context in
            let id = try context.parameters.require("id")
            let peer = try context.requirePeer()
            let now = Date()
            guard let task = try await fleet.store.requestCancel(
                taskID: id, reason: "cancelled by \(peer.description)", now: now, audit: .taskCancelled(taskID: id, by: peer, at: now)
            ) else {
                throw ShoalError(.notFound, "no task \(id)")
            }
            engine.nudge()
            return try JSONResponse.make(try await planner.view(of: task))
        }
        read.get("tasks") { request, _ in
            let limit = min(max(try request.uri.queryParameters.integer("limit") ?? 50, 1), 1000)
            var views: [TaskView] = []
            for task in try await fleet.store.tasks(limit: limit) {
                views.append(try await planner.view(of: task, includeNodes: false))
            }
            return try JSONResponse.make(TaskListResponse(tasks: views))
        }
        read.get("tasks/{id}/output/{node}") { _, context in
            let id = try context.parameters.require("id")
            let deliveries = try await fleet.store.deliveries(taskID: id)
            let nodeID = try await NodeReference.resolve(try context.parameters.require("node"), among: Set(deliveries.map(\.nodeID)), store: fleet.store)
            guard let delivery = deliveries.first(where: { $0.nodeID == nodeID }) else {
                throw ShoalError(.notFound, "task \(id) has no node \(nodeID); 'coordinator task status \(id)' lists its nodes")
            }
            let body = fleet.outputs.body(taskID: id, delivery: delivery)
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: body)
        }
        read.get("tasks/{id}") { _, context in
            let id = try context.parameters.require("id")
            guard let task = try await fleet.store.task(id: id) else {
                throw ShoalError(.notFound, "no task \(id); 'coordinator task list' shows recent tasks")
            }
            return try JSONResponse.make(try await planner.view(of: task))
        }
    }

    private func node(_ id: String) async throws -> NodeRecord {
        guard let node = try await fleet.store.node(id: id) else {
            throw ShoalError(.notFound, "no node \(id); 'coordinator nodes list' shows the fleet")
        }
        return node
    }
}
