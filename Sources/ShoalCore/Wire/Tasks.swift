import Foundation

/// `POST /v1/tasks`: run steps on the nodes a selector (and/or a node list) picks, rolled
/// out under a policy.
public struct TaskCreateRequest: Codable, Sendable {
    public var name: String
    public var steps: [StepSpec]
    /// A `NodeSelector` expression; empty: every enrolled node.
    public var selector: String
    /// Explicit node ids; when set, only these (and only if they also match the selector).
    public var nodes: [String]?
    /// Per node: how long a bundle may run before its steps are stopped.
    public var timeoutSeconds: Int
    /// How long a bundle stays valid once queued; an agent refuses it afterwards.
    /// Nil: the coordinator's `bundle_expiry`.
    public var expiresInSeconds: Int?
    public var policy: RolloutPolicy
    /// Fleet-wide check mode: nothing changes on any node; results say what would.
    public var checkMode: Bool
    /// From a task file: handlers, variables and the files its steps carry (see `CompiledTask`).
    public var handlers: [StepSpec]?
    public var vars: [String: JSONValue]?
    public var files: [BundleFile]?

    public init(
        name: String, steps: [StepSpec], selector: String, nodes: [String]? = nil, timeoutSeconds: Int,
        expiresInSeconds: Int? = nil, policy: RolloutPolicy = RolloutPolicy(), checkMode: Bool = false,
        handlers: [StepSpec]? = nil, vars: [String: JSONValue]? = nil, files: [BundleFile]? = nil
    ) {
        self.handlers = handlers
        self.vars = vars
        self.files = files
        self.name = name
        self.steps = steps
        self.selector = selector
        self.nodes = nodes
        self.timeoutSeconds = timeoutSeconds
        self.expiresInSeconds = expiresInSeconds
        self.policy = policy
        self.checkMode = checkMode
    }
}

/// `POST /v1/tasks/preview`: which nodes a request would target, without starting anything.
public struct TaskPreview: Codable, Sendable {
    public var nodes: [NodeView]
    public init(nodes: [NodeView]) { self.nodes = nodes }
}

public struct NodeTaskView: Codable, Sendable {
    public var nodeID: String
    public var hostname: String
    public var bundleID: String
    public var sequence: Int64
    public var status: NodeTaskStatus
    public var exitCode: Int32?
    public var errorCode: ShoalError.Code?
    public var message: String?
    public var firstLine: String?
    public var attempt: Int
    public var queuedAt: Date?
    /// When the bundle was first handed to the node's long poll: not proof that it arrived
    /// (the connection may have died). While the status is `sent` the agent has not confirmed it.
    public var sentAt: Date?
    /// When the agent confirmed the bundle and started it (`POST …/start`).
    public var startedAt: Date?
    public var finishedAt: Date?
    public var result: BundleResult?

    public init(
        nodeID: String, hostname: String, bundleID: String, sequence: Int64, status: NodeTaskStatus, exitCode: Int32?,
        errorCode: ShoalError.Code?, message: String?, firstLine: String?, attempt: Int, queuedAt: Date?, sentAt: Date?,
        startedAt: Date?, finishedAt: Date?, result: BundleResult?
    ) {
        self.nodeID = nodeID
        self.hostname = hostname
        self.bundleID = bundleID
        self.sequence = sequence
        self.status = status
        self.exitCode = exitCode
        self.errorCode = errorCode
        self.message = message
        self.firstLine = firstLine
        self.attempt = attempt
        self.queuedAt = queuedAt
        self.sentAt = sentAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.result = result
    }
}

public struct TaskView: Codable, Sendable {
    public var id: String
    public var name: String
    public var createdAt: Date
    public var createdBy: String
    public var status: RolloutStatus
    /// Why the rollout ended as it did (halted by the error budget, canary failed, cancelled by whom).
    public var statusReason: String?
    public var selector: String
    public var policy: RolloutPolicy?
    public var total: Int
    /// Nodes per `NodeTaskStatus` raw value.
    public var counts: [String: Int]
    public var checkMode: Bool
    /// Check mode: nodes grouped by identical reports, largest group first.
    public var checkGroups: [CheckGroup]
    public var nodes: [NodeTaskView]
    /// Moves on every change of the rollout or its nodes: pass it as `after` to
    /// `GET /v1/tasks/{id}/changes` to wait for the next one. Nil from older coordinators.
    public var changeVersion: Int64?

    public init(
        id: String, name: String, createdAt: Date, createdBy: String, status: RolloutStatus, statusReason: String?,
        selector: String, policy: RolloutPolicy?, total: Int, counts: [String: Int], checkMode: Bool = false,
        checkGroups: [CheckGroup] = [], nodes: [NodeTaskView], changeVersion: Int64? = nil
    ) {
        self.changeVersion = changeVersion
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.status = status
        self.statusReason = statusReason
        self.selector = selector
        self.policy = policy
        self.total = total
        self.counts = counts
        self.checkMode = checkMode
        self.checkGroups = checkGroups
        self.nodes = nodes
    }

    public var isFinished: Bool { status.isFinal }
}

/// Nodes whose check-mode reports are identical: "37 nodes: + line in /etc/foo.conf".
public struct CheckGroup: Codable, Sendable, Equatable {
    public var count: Int
    public var nodes: [String]
    public var report: String

    public init(count: Int, nodes: [String], report: String) {
        self.count = count
        self.nodes = nodes
        self.report = report
    }

    /// One node's report: per step, its diff, or its status and message.
    public static func report(of result: BundleResult) -> String {
        if result.status == .refused || result.steps.isEmpty {
            return "\(result.status.rawValue): \(result.message ?? "")"
        }
        return result.steps.map { step in
            if let diff = step.diff, !diff.isEmpty { return "\(step.name): changed\n\(diff)" }
            return "\(step.name): \(step.status.rawValue)\(step.message.map { " (\($0))" } ?? "")"
        }.joined(separator: "\n")
    }

    /// Groups nodes (hostname, result) by identical report, largest first.
    public static func group(_ reports: [(node: String, report: String)]) -> [CheckGroup] {
        Dictionary(grouping: reports, by: \.report)
            .map { CheckGroup(count: $0.value.count, nodes: $0.value.map(\.node).sorted(), report: $0.key) }
            .sorted { ($0.count, $1.report) > ($1.count, $0.report) }
    }
}

public struct TaskListResponse: Codable, Sendable {
    public var tasks: [TaskView]
    public init(tasks: [TaskView]) { self.tasks = tasks }
}
