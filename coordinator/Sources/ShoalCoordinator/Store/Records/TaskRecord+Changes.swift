import Foundation
import ShoalCore

/// The changes the store's task methods make to a task's own fields, written once for every
/// backend (the counters move in the backends' `move`, with the deliveries).
extension TaskRecord {
    /// The rollout statuses of a task still to be driven (`unfinishedTasks`, rollout leases).
    static let unfinishedRawValues = [RolloutStatus.pending.rawValue, RolloutStatus.running.rawValue]

    /// `FleetStore.requestCancel`, before its deliveries are withdrawn or flagged.
    mutating func requestCancel(reason: String) {
        cancelRequested = true
        statusReason = reason
    }

    /// `FleetStore.requestHalt`, before its pending deliveries are cancelled.
    mutating func requestHalt(reason: String) {
        haltRequested = true
        statusReason = reason
    }

    /// `FleetStore.setRolloutStatus`, once `status.canMove(to: next)` allowed it.
    mutating func setStatus(_ next: RolloutStatus, reason: String?, now: Date) {
        status = next
        if let reason { statusReason = reason }
        if next.isFinal { finishedAt = now }
    }
}

extension DeliveryRecord {
    /// Notes why a pending delivery of a halted rollout (`FleetStore.requestHalt`) is moved to
    /// `cancelled` without having started.
    mutating func haltBeforeStart(code: ShoalError.Code, reason: String) {
        errorCode = code.rawValue
        message = "not started: \(reason)"
    }
}
