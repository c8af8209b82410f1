import Foundation

/// `POST /v1/tasks`: run steps on every node a selector matches.
public struct TaskCreateRequest: Codable, Sendable {
    public var name: String
    public var steps: [StepSpec]
    /// Label equalities, all of which a node must carry. Empty: every enrolled node.
    public var selector: [String: String]
    /// Per node: how long a bundle may run before its steps are stopped.
    public var timeoutSeconds: Int
    /// How long a queued bundle stays valid; an agent refuses it afterwards.
    public var expiresInSeconds: Int

    public init(name: String, steps: [StepSpec], selector: [String: String], timeoutSeconds: Int, expiresInSeconds: Int) {
        self.name = name
        self.steps = steps
        self.selector = selector
        self.timeoutSeconds = timeoutSeconds
        self.expiresInSeconds = expiresInSeconds
    }
}

public enum NodeTaskStatus: String, Codable, Sendable, CaseIterable {
    case queued, delivered, succeeded, failed
    case timedOut = "timed_out"
    case refused, interrupted

    public var isFinal: Bool { ![.queued, .delivered].contains(self) }
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
    public var deliveredAt: Date?
    public var finishedAt: Date?
    public var result: BundleResult?

    public init(
        nodeID: String, hostname: String, bundleID: String, sequence: Int64, status: NodeTaskStatus, exitCode: Int32?,
        errorCode: ShoalError.Code?, message: String?, firstLine: String?, deliveredAt: Date?, finishedAt: Date?, result: BundleResult?
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
        self.deliveredAt = deliveredAt
        self.finishedAt = finishedAt
        self.result = result
    }
}

public struct TaskView: Codable, Sendable {
    public var id: String
    public var name: String
    public var createdAt: Date
    public var createdBy: String
    /// `running` until every node has a final status, then `succeeded` or `failed`.
    public var status: String
    public var counts: [String: Int]
    public var nodes: [NodeTaskView]

    public init(id: String, name: String, createdAt: Date, createdBy: String, status: String, counts: [String: Int], nodes: [NodeTaskView]) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.status = status
        self.counts = counts
        self.nodes = nodes
    }

    public var isFinished: Bool { status != "running" }
}
