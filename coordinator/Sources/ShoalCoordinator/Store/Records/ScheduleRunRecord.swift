import Foundation

/// A row of `schedule_runs`: every time a schedule came due, and what happened.
public struct ScheduleRunRecord: Codable, Sendable {
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
}
