import Foundation

/// A task as its operator signed it, on their own machine: everything about what runs and
/// where, with carried files named by hash only. The coordinator cannot change any of it;
/// it adds per-node delivery data around it (`DeliveryPayload`).
public struct TaskStatement: Codable, Sendable, Equatable {
    public static let payloadType = "application/vnd.shoal.task+json"

    /// Chosen by the signer; unique. Agents run a task id at most once (per schedule slot).
    public var taskID: String
    /// The signer's operator name (their grant in the trust document).
    public var operatorName: String
    public var issuedAt: Date
    /// No node starts this task after this (for a schedule: no run after this).
    public var expiresAt: Date
    public var name: String
    public var steps: [StepSpec]
    public var handlers: [StepSpec]?
    public var vars: [String: JSONValue]?
    /// SHA-256 (hex) of every file the steps carry; the coordinator supplies the bytes.
    public var fileHashes: [String]
    public var selector: String
    public var nodes: [String]?
    public var timeoutSeconds: Int
    /// How long a node's bundle stays valid once queued (nil: the coordinator's default).
    public var expiresInSeconds: Int?
    public var policy: RolloutPolicy
    public var checkMode: Bool
    /// Set for a schedule: the task runs once per tick of `cron` until `expiresAt`.
    public var schedule: ScheduleGrant?

    public struct ScheduleGrant: Codable, Sendable, Equatable {
        public var name: String
        public var cron: String
        public init(name: String, cron: String) {
            self.name = name
            self.cron = cron
        }
    }

    public init(
        taskID: String, operatorName: String, issuedAt: Date, expiresAt: Date, request: TaskCreateRequest, schedule: ScheduleGrant? = nil
    ) {
        self.taskID = taskID
        self.operatorName = operatorName
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.name = request.name
        self.steps = request.steps
        self.handlers = request.handlers
        self.vars = request.vars
        self.fileHashes = (request.files ?? []).map(\.sha256).sorted()
        self.selector = request.selector
        self.nodes = request.nodes
        self.timeoutSeconds = request.timeoutSeconds
        self.expiresInSeconds = request.expiresInSeconds
        self.policy = request.policy
        self.checkMode = request.checkMode
        self.schedule = schedule
    }

    /// The request the coordinator plans the rollout from, with the carried file bytes.
    public func request(files: [BundleFile]) -> TaskCreateRequest {
        TaskCreateRequest(
            name: name, steps: steps, selector: selector, nodes: nodes, timeoutSeconds: timeoutSeconds,
            expiresInSeconds: expiresInSeconds, policy: policy, checkMode: checkMode, handlers: handlers, vars: vars, files: files
        )
    }

    /// Every step and handler.
    public var allSteps: [StepSpec] { steps + (handlers ?? []) }

    /// Signs the statement with the operator's key.
    public func signed(with key: BundleSigningKey) throws -> DSSEEnvelope {
        try key.sign(payload: WireCoding.encode(self), payloadType: Self.payloadType)
    }
}

/// `POST /v1/tasks` (and the task of `POST /v1/schedules`): the operator-signed statement and
/// the bytes of the files it names.
public struct SignedTaskRequest: Codable, Sendable {
    public var statement: DSSEEnvelope
    public var files: [BundleFile]?

    public init(statement: DSSEEnvelope, files: [BundleFile]?) {
        self.statement = statement
        self.files = files
    }
}
