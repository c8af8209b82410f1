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
    /// How long a queued bundle stays valid; an agent refuses it afterwards.
    public var expiresInSeconds: Int
    public var policy: RolloutPolicy

    public init(
        name: String, steps: [StepSpec], selector: String, nodes: [String]? = nil, timeoutSeconds: Int,
        expiresInSeconds: Int, policy: RolloutPolicy = RolloutPolicy()
    ) {
        self.name = name
        self.steps = steps
        self.selector = selector
        self.nodes = nodes
        self.timeoutSeconds = timeoutSeconds
        self.expiresInSeconds = expiresInSeconds
        self.policy = policy
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
    public var deliveredAt: Date?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var result: BundleResult?

    public init(
        nodeID: String, hostname: String, bundleID: String, sequence: Int64, status: NodeTaskStatus, exitCode: Int32?,
        errorCode: ShoalError.Code?, message: String?, firstLine: String?, attempt: Int, queuedAt: Date?, deliveredAt: Date?,
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
        self.deliveredAt = deliveredAt
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
    public var nodes: [NodeTaskView]

    public init(
        id: String, name: String, createdAt: Date, createdBy: String, status: RolloutStatus, statusReason: String?,
        selector: String, policy: RolloutPolicy?, total: Int, counts: [String: Int], nodes: [NodeTaskView]
    ) {
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
        self.nodes = nodes
    }

    public var isFinished: Bool { status.isFinal }
}

public struct TaskListResponse: Codable, Sendable {
    public var tasks: [TaskView]
    public init(tasks: [TaskView]) { self.tasks = tasks }
}
