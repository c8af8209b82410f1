import Foundation
import GRDB
import ShoalCore

/// A row of `schedules`: a task request that runs on a cron schedule.
public struct ScheduleRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "schedules"

    public var name: String
    public var cron: String
    public var requestJSON: String
    public var createdAt: Date
    public var createdBy: String
    public var nextRunAt: Date
    public var lastRunAt: Date?
    /// The rollout the last run started; a new run waits until it has finished.
    public var lastTaskID: String?
    /// The operator-signed `TaskStatement` (with its `schedule` grant) each run delivers.
    public var statementJSON: String?

    public init(name: String, cron: String, requestJSON: String, createdAt: Date, createdBy: String, nextRunAt: Date) {
        self.name = name
        self.cron = cron
        self.requestJSON = requestJSON
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.nextRunAt = nextRunAt
    }

    public var statement: DSSEEnvelope? {
        statementJSON.flatMap { try? WireCoding.decode(DSSEEnvelope.self, from: Data($0.utf8)) }
    }

    public var request: TaskCreateRequest? {
        try? WireCoding.decode(TaskCreateRequest.self, from: Data(requestJSON.utf8))
    }
}

/// A row of `schedule_runs`: every time a schedule came due, and what happened.
public struct ScheduleRunRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "schedule_runs"

    public var id: Int64?
    public var scheduleName: String
    public var at: Date
    /// `started`, `skipped` (previous run still going) or `failed` (could not start).
    public var outcome: String
    public var taskID: String?
    public var detail: String

    public init(scheduleName: String, at: Date, outcome: String, taskID: String?, detail: String) {
        self.scheduleName = scheduleName
        self.at = at
        self.outcome = outcome
        self.taskID = taskID
        self.detail = detail
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
