import Foundation

/// `POST /v1/schedules`: run `task` whenever `cron` comes due. The task is signed by its
/// operator as a schedule (`TaskStatement.schedule` names this `name` and `cron`).
public struct ScheduleCreateRequest: Codable, Sendable {
    public var name: String
    public var cron: String
    public var task: SignedTaskRequest

    public init(name: String, cron: String, task: SignedTaskRequest) {
        self.name = name
        self.cron = cron
        self.task = task
    }
}

public struct ScheduleView: Codable, Sendable {
    public var name: String
    public var cron: String
    public var taskName: String
    public var selector: String
    public var createdAt: Date
    public var createdBy: String
    public var nextRunAt: Date
    public var lastRunAt: Date?
    public var lastTaskID: String?
    /// Who signed it, and why it no longer runs when it does not (its signer left the trust
    /// document, or its signature expired).
    public var signer: String?
    public var stoppedReason: String?

    public init(
        name: String, cron: String, taskName: String, selector: String, createdAt: Date, createdBy: String,
        nextRunAt: Date, lastRunAt: Date?, lastTaskID: String?, signer: String? = nil, stoppedReason: String? = nil
    ) {
        self.signer = signer
        self.stoppedReason = stoppedReason
        self.name = name
        self.cron = cron
        self.taskName = taskName
        self.selector = selector
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.nextRunAt = nextRunAt
        self.lastRunAt = lastRunAt
        self.lastTaskID = lastTaskID
    }
}

public struct ScheduleListResponse: Codable, Sendable {
    public var schedules: [ScheduleView]
    public init(schedules: [ScheduleView]) { self.schedules = schedules }
}

/// One time a schedule came due: `started` (with its task), `skipped` or `failed`.
public struct ScheduleRunView: Codable, Sendable {
    public var at: Date
    public var outcome: String
    public var taskID: String?
    public var detail: String

    public init(at: Date, outcome: String, taskID: String?, detail: String) {
        self.at = at
        self.outcome = outcome
        self.taskID = taskID
        self.detail = detail
    }
}

public struct ScheduleRunsResponse: Codable, Sendable {
    public var runs: [ScheduleRunView]
    public init(runs: [ScheduleRunView]) { self.runs = runs }
}
