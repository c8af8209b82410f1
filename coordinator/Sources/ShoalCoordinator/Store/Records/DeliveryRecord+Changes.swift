import Foundation
import ShoalCore

/// The changes the store's delivery methods make to a delivery's fields, written once for
/// every backend: a backend reads the row, applies one of these, and hands the record to its
/// `move` (which checks the state machine and writes the row with the task's counters).
extension DeliveryRecord {
    /// Before queueing (`FleetStore.queue`): a fresh sequence number of its node, another
    /// attempt, and the envelope signed over both.
    mutating func prepareToQueue(sequence: Int64, now: Date, sign: (DeliveryRecord, Int64) throws -> String) throws {
        self.sequence = sequence
        attempt += 1
        queuedAt = now
        notBefore = nil
        envelopeJSON = try sign(self, sequence)
    }

    /// What `FleetStore.transition` notes beside the move; a nil code or message keeps the old one.
    mutating func note(errorCode: String?, message: String?, notBefore: Date?, countAttempt: Bool) {
        if errorCode != nil { self.errorCode = errorCode }
        if message != nil { self.message = message }
        self.notBefore = notBefore
        if countAttempt { attempt += 1 }
    }

    /// Takes in what the agent reported (`FleetStore.recordResult`); the caller then moves it
    /// to `NodeTaskStatus(result.status)`.
    mutating func take(_ result: BundleResult) throws {
        exitCode = result.steps.last?.exitCode
        errorCode = result.errorCode?.rawValue
        message = result.message
        firstLine = Self.firstLine(of: result)
        resultJSON = try result.jsonText()
        sentAt = sentAt ?? result.startedAt
        startedAt = startedAt ?? result.startedAt
        finishedAt = result.finishedAt
    }

    /// The line an operator wants in a table: the last step's first line of output, else its message.
    static func firstLine(of result: BundleResult) -> String? {
        guard let step = result.steps.last else { return result.message }
        for candidate in [step.stdout.firstLine, step.stderr.firstLine, step.message ?? ""] where !candidate.isEmpty {
            return String(candidate.prefix(200))
        }
        return result.message
    }

    /// Hands it to its node's poll (`FleetStore.takeQueuedDeliveries`). An agent polls only
    /// when it runs nothing, so a bundle still `sent` (handed out, never confirmed) when its
    /// node polls again went to a poll that died: it goes out again as it is (false: no
    /// move). A `queued` one is stamped now (true: the caller moves it to `sent`). The agent's
    /// high-water mark refuses a repeat that had in fact arrived.
    mutating func handOut(now: Date) -> Bool {
        guard status != .sent else { return false }
        sentAt = now
        return true
    }

    /// What an operator's cancel (`FleetStore.requestCancel`) does to a delivery in its state.
    enum CancelEffect {
        /// Not with the agent yet: withdrawn, moved to `cancelled` (after `withdraw(reason:)`).
        case withdraw
        /// With the agent: flagged (`cancelRequested`); the agent hears of it on its next heartbeat.
        case flag
        /// Finished already.
        case none
    }

    var cancelEffect: CancelEffect {
        switch status {
        case .pending, .queued, .retryWait: .withdraw
        case .sent, .running: .flag
        default: .none
        }
    }

    /// Notes why it is being moved to `cancelled` by an operator's cancel.
    mutating func withdraw(reason: String) {
        errorCode = "task.cancelled"
        message = reason
    }
}

extension NodeTaskStatus {
    /// The delivery status an agent's result ends in.
    init(_ status: BundleStatus) {
        switch status {
        case .succeeded: self = .succeeded
        case .failed: self = .failed
        case .timedOut: self = .timedOut
        case .refused: self = .refused
        case .interrupted: self = .interrupted
        case .cancelled: self = .cancelled
        }
    }

    /// The states of a delivery a rollout pass watches (`FleetStore.activeDeliveries`).
    static let activeRawValues = allCases.filter(\.isActive).map(\.rawValue)
    /// The states of a canary that ended badly and stop a rollout (`FleetStore.endedBadlyCanary`).
    static let endedBadlyRawValues = allCases.filter { $0.isFailure || $0 == .cancelled }.map(\.rawValue)
    /// The states of a delivery that a node's poll hands out (`FleetStore.takeQueuedDeliveries`).
    static let handedOutRawValues = [queued.rawValue, sent.rawValue]
}

extension NodeEventRecord {
    /// A result from a node for a delivery that is not that node's (or none at all).
    static func unmatchedResult(_ result: BundleResult, nodeID: String, at now: Date) -> NodeEventRecord {
        NodeEventRecord(
            nodeID: nodeID, at: now, kind: "result_unmatched",
            detail: "result for unknown delivery \(result.deliveryID): \(result.status.rawValue) \(result.errorCode?.rawValue ?? "")"
        )
    }

    /// A bundle the agent refused to run (signature, sequence, policy).
    static func bundleRefused(_ result: BundleResult, nodeID: String, at now: Date) -> NodeEventRecord {
        NodeEventRecord(nodeID: nodeID, at: now, kind: "bundle_refused", detail: "\(result.errorCode?.rawValue ?? ""): \(result.message ?? "")")
    }
}
