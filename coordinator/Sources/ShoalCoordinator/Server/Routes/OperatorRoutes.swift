import Foundation
import Hummingbird
import ShoalCore

/// Operator routes: nodes, tokens, tasks. Reads need any operator role; changes need
/// `operator` or `admin`; tokens need `admin`. Every change is written to the audit log.
struct OperatorRoutes: Sendable {
    let fleet: Fleet
    let notifier: WorkNotifier

    func add(to router: Router<CoordinatorRequestContext>) {
        let read = router.group("/v1").add(middleware: RequireOperatorMiddleware(roles: [.admin, .operator, .viewer]))
        let write = router.group("/v1").add(middleware: RequireOperatorMiddleware(roles: [.admin, .operator]))
        let admin = router.group("/v1").add(middleware: RequireOperatorMiddleware(roles: [.admin]))
        let limit = fleet.config.maxBodyBytes
        let planner = TaskPlanner(fleet: fleet)

        read.get("nodes") { _, _ in
            try JSONResponse.make(NodeListResponse(nodes: try await fleet.store.nodes().map(\.view)))
        }
        read.get("nodes/{id}") { _, context in
            let id = try context.parameters.require("id")
            guard let node = try await fleet.store.node(id: id) else {
                throw ShoalError(.notFound, "no node \(id); 'coordinator nodes list' shows the fleet")
            }
            return try JSONResponse.make(node.view)
        }
        admin.post("tokens") { request, context in
            let body = try await request.decodeJSON(TokenCreateRequest.self, limit: limit)
            let response = try await TokenIssuer(store: fleet.store).issue(body, by: try context.requirePeer())
            return try JSONResponse.make(response, status: .created)
        }
        write.post("tasks") { request, context in
            let body = try await request.decodeJSON(TaskCreateRequest.self, limit: limit)
            let (view, nodeIDs) = try await planner.create(body, by: try context.requirePeer())
            await notifier.notify(nodeIDs: nodeIDs)
            return try JSONResponse.make(view, status: .created)
        }
        read.get("tasks") { _, _ in
            var views: [TaskView] = []
            for task in try await fleet.store.tasks(limit: 100) {
                var view = try await planner.view(of: task)
                view.nodes = []
                views.append(view)
            }
            return try JSONResponse.make(["tasks": views])
        }
        read.get("tasks/{id}") { _, context in
            let id = try context.parameters.require("id")
            guard let task = try await fleet.store.task(id: id) else {
                throw ShoalError(.notFound, "no task \(id); 'coordinator task list' shows recent tasks")
            }
            return try JSONResponse.make(try await planner.view(of: task))
        }
    }
}
