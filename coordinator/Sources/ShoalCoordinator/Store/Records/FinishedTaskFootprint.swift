import Foundation
import ShoalCore

/// A finished task as retention sees it: when it finished and how many bytes its request,
/// results and signed bundles take in the database.
public struct FinishedTaskFootprint: Sendable, Equatable {
    public var taskID: String
    public var finishedAt: Date
    public var storedBytes: Int64
    /// Until when the operator's signature on the task is still valid: the row is what makes
    /// a replay of that signed task a conflict, so it stays until then, whatever the limits.
    public var signedUntil: Date?

    public init(taskID: String, finishedAt: Date, storedBytes: Int64, signedUntil: Date? = nil) {
        self.taskID = taskID
        self.finishedAt = finishedAt
        self.storedBytes = storedBytes
        self.signedUntil = signedUntil
    }

    /// Whether pruning may delete it at `now`.
    public func prunable(now: Date) -> Bool { (signedUntil ?? .distantPast) <= now }

    /// When the operator's signature on a stored task statement expires (intake refuses it
    /// after that); a schedule's runs are keyed per slot, not by this row.
    static func signedUntil(statementJSON: String?) -> Date? {
        guard let statementJSON, let envelope = try? WireCoding.decode(DSSEEnvelope.self, from: Data(statementJSON.utf8)),
              let statement = try? envelope.decodePayload(TaskStatement.self, expecting: TaskStatement.payloadType, malformed: .bundleMalformed),
              statement.schedule == nil else { return nil }
        return statement.expiresAt
    }
}
