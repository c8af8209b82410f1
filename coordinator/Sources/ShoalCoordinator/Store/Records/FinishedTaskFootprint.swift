import Foundation

/// A finished task as retention sees it: when it finished and how many bytes its request,
/// results and signed bundles take in the database.
public struct FinishedTaskFootprint: Sendable, Equatable {
    public var taskID: String
    public var finishedAt: Date
    public var storedBytes: Int64

    public init(taskID: String, finishedAt: Date, storedBytes: Int64) {
        self.taskID = taskID
        self.finishedAt = finishedAt
        self.storedBytes = storedBytes
    }
}
