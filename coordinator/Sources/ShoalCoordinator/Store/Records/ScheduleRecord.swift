import Foundation
import ShoalCore

/// A row of `schedules`: a task request that runs on a cron schedule.
public struct ScheduleRecord: Codable, Sendable {
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
