import Foundation
import ShoalCore

/// Turns an operator's task request into a rollout: the targeted nodes in a stable order
/// (canaries first), each a `pending` delivery the `RolloutEngine` will sign and queue.
struct TaskPlanner: Sendable {
    let fleet: Fleet

    /// The nodes a request targets: matching the selector, in `nodes` if given, not revoked.
    func targets(_ request: TaskCreateRequest) async throws -> [NodeRecord] {
        let selector = try NodeSelector(parsing: request.selector)
        let wanted = request.nodes.map(Set.init)
        let all = try await fleet.store.nodes()
        if let wanted {
            let unknown = wanted.subtracting(all.map(\.id))
            guard unknown.isEmpty else {
                throw ShoalError(.notFound, "unknown node id(s): \(unknown.sorted().joined(separator: ", ")); 'coordinator nodes list' shows the fleet")
            }
        }
        return all.filter { node in
            node.status != .revoked && (wanted?.contains(node.id) ?? true) && node.matches(selector)
        }.sorted { ($0.hostname, $0.id) < ($1.hostname, $1.id) }
    }

    /// Plans the rollout of an operator-signed task. `taskID` is the coordinator's id for it:
    /// the statement's own, or for a schedule's run one of its own.
    func create(
        _ accepted: SignedTaskIntake.Accepted, taskID: String? = nil, scheduledAt: Date? = nil, by peer: PeerIdentity
    ) async throws -> TaskView {
        let request = accepted.request
        try validate(request)
        let targets = try await targets(request)
        guard !targets.isEmpty else {
            throw ShoalError(.noNodesMatched, "no enrolled node matches selector \(try NodeSelector(parsing: request.selector)); 'coordinator nodes list --selector ...' shows what matches")
        }
        try SignedTaskIntake(fleet: fleet).checkScope(accepted.grant, targets: targets)
        if try await fleet.store.task(id: taskID ?? accepted.statement.taskID) != nil {
            throw ShoalError(.conflict, "task \(taskID ?? accepted.statement.taskID) exists already; a signed task is sent once (sign it again to run it again)")
        }
        let now = Date()
        var task = TaskRecord(
            id: taskID ?? accepted.statement.taskID, name: request.name, createdAt: now, createdBy: peer.name,
            requestJSON: try request.jsonText(), total: targets.count
        )
        task.stepCount = request.steps.count + (request.handlers?.count ?? 0)
        task.statementJSON = try accepted.envelope.jsonText()
        task.signer = accepted.grant.name
        task.scheduledAt = scheduledAt
        let deliveries = targets.enumerated().map { index, node in
            DeliveryRecord(id: "b-" + RandomID.make(bytes: 10), taskID: task.id, nodeID: node.id, position: index, isCanary: index < request.policy.canary, createdAt: now)
        }
        try await fleet.store.createTask(task, deliveries: deliveries, audit: .taskCreated(task, accepted: accepted, nodeIDs: targets.map(\.id), by: peer))
        return try await view(of: task)
    }

    func view(of task: TaskRecord, includeNodes: Bool = true) async throws -> TaskView {
        let deliveries = includeNodes ? try await fleet.store.deliveries(taskID: task.id) : []
        let hostnames = includeNodes ? try await fleet.store.nodeSummaries(ids: Array(Set(deliveries.map(\.nodeID)))).mapValues(\.hostname) : [:]
        var counts: [String: Int] = [:]
        if includeNodes {
            for delivery in deliveries { counts[delivery.status.rawValue, default: 0] += 1 }
        } else {
            counts = ["pending": task.pendingCount, "active": task.activeCount, "succeeded": task.succeededCount, "failed": task.failureCount, "cancelled": task.cancelledCount]
                .filter { $0.value > 0 }
        }
        let request = task.request
        let nodes = deliveries.map { $0.view(hostname: hostnames[$0.nodeID] ?? $0.nodeID) }
        var groups: [CheckGroup] = []
        if request?.checkMode == true {
            groups = CheckGroup.group(nodes.map { node in
                (node.hostname, node.result.map(CheckGroup.report(of:)) ?? "\(node.status.rawValue)\(node.message.map { ": \($0)" } ?? "")")
            })
        }
        return TaskView(
            id: task.id, name: task.name, createdAt: task.createdAt, createdBy: task.createdBy, status: task.status,
            statusReason: task.statusReason, selector: request?.selector ?? "", policy: request?.policy, total: task.total, counts: counts,
            checkMode: request?.checkMode ?? false, checkGroups: groups, nodes: nodes, changeVersion: task.changeVersion
        )
    }

    /// Everything that can be checked without the fleet: the one validation of a task request,
    /// used by `POST /v1/tasks` and by `POST /v1/schedules` for the task it will start.
    func validate(_ request: TaskCreateRequest) throws {
        guard !request.steps.isEmpty else {
            throw ShoalError(.invalidArgument, "a task needs at least one step")
        }
        guard request.timeoutSeconds > 0, request.timeoutSeconds <= 7 * 86400 else {
            throw ShoalError(.invalidArgument, "timeoutSeconds must be between 1 and 604800 (7 days), got \(request.timeoutSeconds)")
        }
        if let expires = request.expiresInSeconds, expires <= 0 || expires > 30 * 86400 {
            throw ShoalError(.invalidArgument, "expiresInSeconds must be between 1 and 2592000 (30 days), got \(expires)")
        }
        let policy = request.policy
        guard policy.canary >= 0, policy.retries >= 0, policy.retries <= 20, policy.retryBackoffSeconds >= 0 else {
            throw ShoalError(.invalidArgument, "canary and retries must be >= 0 (retries at most 20), backoff >= 0")
        }
        if case .count(0) = policy.maxConcurrency ?? .count(1) {
            throw ShoalError(.invalidArgument, "max-concurrency 0 would start nothing; give at least 1")
        }
        let all = request.steps + (request.handlers ?? [])
        for (index, step) in all.enumerated() where !StepKinds.known.contains(step.kind) {
            throw ShoalError(.stepUnknownKind, "step \(index + 1) (\(step.displayName)) has unknown kind '\(step.kind)' (known: \(StepKinds.known.sorted().joined(separator: ", ")))")
        }
        let handlerNames = Set((request.handlers ?? []).compactMap(\.name))
        guard handlerNames.count == (request.handlers ?? []).count else {
            throw ShoalError(.taskInvalid, "every handler needs a unique name")
        }
        for step in all {
            for name in step.notify ?? [] where !handlerNames.contains(name) {
                throw ShoalError(.taskInvalid, "step '\(step.displayName)' notifies '\(name)', but the task has no handler of that name")
            }
            if let condition = step.when { _ = try NodeSelector(parsing: condition) }
        }
        let carried = Set((request.files ?? []).map(\.sha256))
        for step in all {
            if case .object(let params) = step.params, case .string(let sha)? = params["sourceSHA256"], !carried.contains(sha) {
                throw ShoalError(.bundleFileMissing, "step '\(step.displayName)' names file sha256:\(sha.prefix(12)), which the request does not carry")
            }
        }
        for file in request.files ?? [] {
            guard let data = Data(base64Encoded: file.content), data.sha256Hex == file.sha256 else {
                throw ShoalError(.taskInvalid, "a carried file does not match its sha256 \(file.sha256.prefix(12)); re-send the task")
            }
        }
        // The kinds' parameter bounds, as the agent will check them again after rendering.
        for step in all { try StepParameterRules.validate(step, deferTemplates: true) }
    }
}
