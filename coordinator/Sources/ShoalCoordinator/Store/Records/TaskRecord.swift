import Foundation
import ShoalCore

/// A row of `tasks`: one operator request rolled out across the fleet, with its rollout
/// state and counters (kept in step with `deliveries` in the same transactions).
public struct TaskRecord: Codable, Sendable {
    public var id: String
    public var name: String
    public var createdAt: Date
    public var createdBy: String
    public var requestJSON: String
    public var status: RolloutStatus
    public var statusReason: String?
    public var cancelRequested: Bool
    public var haltRequested: Bool
    public var finishedAt: Date?
    public var total: Int
    public var pendingCount: Int
    public var activeCount: Int
    public var succeededCount: Int
    public var failureCount: Int
    public var cancelledCount: Int
    /// Steps plus handlers: the step indexes a result or output upload may name. Nil for
    /// tasks created before this was recorded (read from `requestJSON` then).
    public var stepCount: Int?
    /// The operator-signed `TaskStatement` envelope every node's bundle carries.
    public var statementJSON: String?
    /// The operator whose key signed it (their grant in the trust document).
    public var signer: String?
    /// For a schedule's run: the cron tick it is for.
    public var scheduledAt: Date?
    /// Moves on every change of the rollout or of any of its deliveries, in the same
    /// transaction (`SQLiteFleetStore.taskChanged`): what a long poll compares.
    public var changeVersion: Int64

    public init(id: String, name: String, createdAt: Date, createdBy: String, requestJSON: String, total: Int = 0) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.requestJSON = requestJSON
        self.status = .pending
        self.cancelRequested = false
        self.haltRequested = false
        self.total = total
        self.pendingCount = total
        self.activeCount = 0
        self.succeededCount = 0
        self.failureCount = 0
        self.cancelledCount = 0
        self.changeVersion = 0
    }

    public var statement: DSSEEnvelope? {
        statementJSON.flatMap { try? WireCoding.decode(DSSEEnvelope.self, from: Data($0.utf8)) }
    }

    public var request: TaskCreateRequest? {
        try? WireCoding.decode(TaskCreateRequest.self, from: Data(requestJSON.utf8))
    }

    /// The counter column a delivery in `status` counts in (a transition moves one from the
    /// old status's column to the new one's, `SQLiteFleetStore.move`).
    static func counterColumn(for status: NodeTaskStatus) -> String {
        switch status {
        case .pending: "pendingCount"
        case .succeeded: "succeededCount"
        case .cancelled: "cancelledCount"
        case _ where status.isActive: "activeCount"
        default: "failureCount"
        }
    }
}
