import Foundation
import ShoalCore

/// A row of `deliveries`: one node's signed bundle for one task, and what became of it.
public struct DeliveryRecord: Codable, Sendable {
    public var id: String
    public var taskID: String
    public var nodeID: String
    public var sequence: Int64
    public var status: NodeTaskStatus
    /// Order in the rollout; canaries come first.
    public var position: Int
    public var isCanary: Bool
    /// How many times it was queued (retries re-queue it with a fresh sequence number).
    public var attempt: Int
    /// In `retry_wait`: not to be queued again before this.
    public var notBefore: Date?
    /// The operator cancelled the task while this was with the agent.
    public var cancelRequested: Bool
    /// Signed when queued, not before: sequence numbers are issued in queue order.
    public var envelopeJSON: String?
    public var createdAt: Date
    public var queuedAt: Date?
    /// First handed to the node's long poll (unconfirmed; see `NodeTaskStatus.sent`).
    public var sentAt: Date?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var exitCode: Int32?
    public var errorCode: String?
    public var message: String?
    public var firstLine: String?
    public var resultJSON: String?

    public init(id: String, taskID: String, nodeID: String, position: Int, isCanary: Bool, createdAt: Date) {
        self.id = id
        self.taskID = taskID
        self.nodeID = nodeID
        self.sequence = 0
        self.status = .pending
        self.position = position
        self.isCanary = isCanary
        self.attempt = 0
        self.cancelRequested = false
        self.createdAt = createdAt
    }

    public var envelope: DSSEEnvelope? {
        envelopeJSON.flatMap { try? WireCoding.decode(DSSEEnvelope.self, from: Data($0.utf8)) }
    }

    public var result: BundleResult? {
        resultJSON.flatMap { try? WireCoding.decode(BundleResult.self, from: Data($0.utf8)) }
    }

    public func view(hostname: String) -> NodeTaskView {
        NodeTaskView(
            nodeID: nodeID, hostname: hostname, bundleID: id, sequence: sequence, status: status, exitCode: exitCode,
            errorCode: errorCode.map { ShoalError.Code(rawValue: $0) }, message: message, firstLine: firstLine,
            attempt: attempt, queuedAt: queuedAt, sentAt: sentAt, startedAt: startedAt, finishedAt: finishedAt, result: result
        )
    }
}
