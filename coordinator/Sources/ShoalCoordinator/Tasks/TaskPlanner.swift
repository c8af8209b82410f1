import Foundation
import ShoalCore

/// Turns an operator's task request into one signed bundle per targeted node, and reads
/// tasks back as views.
struct TaskPlanner: Sendable {
    let fleet: Fleet

    func create(_ request: TaskCreateRequest, by peer: PeerIdentity) async throws -> (TaskView, [String]) {
        try validate(request)
        let targets = try await fleet.store.nodes().filter { node in
            node.status != .revoked && request.selector.allSatisfy { node.labels[$0.key] == $0.value }
        }
        guard !targets.isEmpty else {
            let selector = request.selector.isEmpty ? "(all nodes)" : request.selector.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ",")
            throw ShoalError(.noNodesMatched, "no enrolled node matches selector \(selector); 'coordinator nodes list' shows labels")
        }
        let now = Date()
        let task = TaskRecord(
            id: "t-" + RandomID.make(bytes: 6), name: request.name, createdAt: now, createdBy: peer.name,
            requestJSON: try request.jsonText()
        )
        let signingKey = fleet.signingKey
        let expiresAt = now.addingTimeInterval(TimeInterval(request.expiresInSeconds))
        _ = try await fleet.store.createTask(task, nodeIDs: targets.map(\.id), now: now) { nodeID, deliveryID, sequence in
            let payload = BundlePayload(
                bundleID: deliveryID, taskID: task.id, nodeID: nodeID, sequence: sequence, issuedAt: now,
                expiresAt: expiresAt, timeoutSeconds: request.timeoutSeconds, steps: request.steps
            )
            return try payload.signed(with: signingKey).jsonText()
        }
        try await fleet.store.audit(AuditRecord(
            at: now, actor: peer.description, action: "task.create",
            detail: "task \(task.id) '\(request.name)' on \(targets.count) node(s), selector \(request.selector)"
        ))
        return (try await view(of: task), targets.map(\.id))
    }

    func view(of task: TaskRecord) async throws -> TaskView {
        let deliveries = try await fleet.store.deliveries(taskID: task.id)
        var hostnames: [String: String] = [:]
        for node in try await fleet.store.nodes() { hostnames[node.id] = node.hostname }
        var counts: [String: Int] = [:]
        for delivery in deliveries { counts[delivery.status.rawValue, default: 0] += 1 }
        let status: String
        if deliveries.contains(where: { !$0.status.isFinal }) {
            status = "running"
        } else {
            status = deliveries.allSatisfy { $0.status == .succeeded } ? "succeeded" : "failed"
        }
        return TaskView(
            id: task.id, name: task.name, createdAt: task.createdAt, createdBy: task.createdBy, status: status, counts: counts,
            nodes: deliveries.map { $0.view(hostname: hostnames[$0.nodeID] ?? $0.nodeID) }.sorted { ($0.hostname, $0.nodeID) < ($1.hostname, $1.nodeID) }
        )
    }

    private func validate(_ request: TaskCreateRequest) throws {
        guard !request.steps.isEmpty else {
            throw ShoalError(.invalidArgument, "a task needs at least one step")
        }
        guard request.timeoutSeconds > 0, request.timeoutSeconds <= 7 * 86400 else {
            throw ShoalError(.invalidArgument, "timeoutSeconds must be between 1 and 604800 (7 days), got \(request.timeoutSeconds)")
        }
        guard request.expiresInSeconds > 0, request.expiresInSeconds <= 30 * 86400 else {
            throw ShoalError(.invalidArgument, "expiresInSeconds must be between 1 and 2592000 (30 days), got \(request.expiresInSeconds)")
        }
        for (index, step) in request.steps.enumerated() where step.kind == "command" {
            let params = try step.decodeParams(CommandStepParams.self)
            guard (params.argv?.isEmpty == false) != (params.script?.isEmpty == false) else {
                throw ShoalError(.stepInvalid, "step \(index + 1) (command) needs exactly one of a non-empty 'argv' or 'script'")
            }
        }
    }
}
