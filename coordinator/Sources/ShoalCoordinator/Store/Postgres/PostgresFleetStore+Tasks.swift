import Foundation
import PostgresNIO
import ShoalCore

/// Tasks and the moves of their deliveries that the coordinator (not the node) makes, as
/// `SQLiteFleetStore+Tasks.swift` does them; every move goes through `move`.
extension PostgresFleetStore {
    /// Row locks, not SERIALIZABLE: each delivery's foreign key to its node share-locks the
    /// node's row, which heartbeats keep updating, so a SERIALIZABLE fan-out to a busy fleet
    /// was aborted every time (2,000 nodes at 400 heartbeats/s: 20 attempts, all failed).
    /// It only inserts; the audit append serializes itself.
    public func createTask(_ task: TaskRecord, deliveries: [DeliveryRecord], audit: AuditEntry) async throws {
        try await write(isolation: .rowLocks) { transaction in
            try await transaction.insert(task, into: "tasks")
            try await transaction.insertAll(deliveries, into: "deliveries")
            try await signalAfterCommit(transaction, taskID: task.id)
            try await Self.appendAudit(audit, in: transaction)
        }
    }

    public func queue(deliveryID: String, now: Date, sign: @escaping @Sendable (DeliveryRecord, Int64) throws -> String) async throws -> DeliveryRecord? {
        try await write(isolation: .rowLocks) { transaction in
            guard var delivery = try await Self.lockedDelivery(transaction, id: deliveryID), delivery.status == .pending else { return nil }
            // The node's row is locked until commit: replicas queueing to one node take turns,
            // and a rolled-back attempt gives its number back (no gaps, no repeats).
            guard let sequence = try await transaction.scalar(
                Int64.self, "UPDATE nodes SET lastSequence = lastSequence + 1 WHERE id = \(delivery.nodeID) RETURNING lastSequence"
            ) else {
                throw ShoalError(.notFound, "node \(delivery.nodeID) is no longer enrolled")
            }
            try delivery.prepareToQueue(sequence: sequence, now: now, sign: sign)
            guard try await move(transaction, &delivery, to: .queued, now: now) else { return nil }
            return delivery
        }
    }

    public func transition(
        deliveryID: String, from: Set<NodeTaskStatus>?, to next: NodeTaskStatus, now: Date,
        errorCode: String?, message: String?, notBefore: Date?, countAttempt: Bool = false
    ) async throws -> DeliveryRecord? {
        try await write(isolation: .rowLocks) { transaction in
            guard var delivery = try await Self.lockedDelivery(transaction, id: deliveryID) else { return nil }
            if let from, !from.contains(delivery.status) { return nil }
            delivery.note(errorCode: errorCode, message: message, notBefore: notBefore, countAttempt: countAttempt)
            guard try await move(transaction, &delivery, to: next, now: now) else { return nil }
            return delivery
        }
    }

    /// Row locks in the agents' order (the deliveries, then their task), so a cancel during a
    /// busy rollout waits for the moves in flight instead of being aborted by them.
    public func requestCancel(taskID: String, reason: String, now: Date, audit: AuditEntry) async throws -> TaskRecord? {
        try await write(isolation: .rowLocks) { transaction in
            let deliveries = try await transaction.fetchAll(DeliveryRecord.self, "SELECT * FROM deliveries WHERE taskID = \(taskID) ORDER BY position FOR UPDATE")
            guard var task = try await Self.lockedTask(transaction, id: taskID) else { return nil }
            guard !task.status.isFinal else { return task }
            task.requestCancel(reason: reason)
            try await taskChanged(transaction, &task)
            try await transaction.update(task, in: "tasks", key: ["id"])
            for var delivery in deliveries {
                switch delivery.cancelEffect {
                case .withdraw:
                    delivery.withdraw(reason: reason)
                    _ = try await move(transaction, &delivery, to: .cancelled, now: now)
                case .flag:
                    try await transaction.execute("UPDATE deliveries SET cancelRequested = TRUE WHERE id = \(delivery.id)")
                case .none:
                    break
                }
            }
            try await Self.appendAudit(audit, in: transaction)
            return try await Self.task(transaction, id: taskID)
        }
    }

    public func requestHalt(taskID: String, reason: String, code: ShoalError.Code, now: Date) async throws {
        try await write(isolation: .rowLocks) { transaction in
            let pending = try await transaction.fetchAll(
                DeliveryRecord.self, "SELECT * FROM deliveries WHERE taskID = \(taskID) AND status = \(NodeTaskStatus.pending.rawValue) ORDER BY position FOR UPDATE"
            )
            guard var task = try await Self.lockedTask(transaction, id: taskID), !task.haltRequested else { return }
            task.requestHalt(reason: reason)
            try await taskChanged(transaction, &task)
            try await transaction.update(task, in: "tasks", key: ["id"])
            for var delivery in pending {
                delivery.haltBeforeStart(code: code, reason: reason)
                _ = try await move(transaction, &delivery, to: .cancelled, now: now)
            }
        }
    }

    public func setRolloutStatus(taskID: String, to next: RolloutStatus, reason: String?, now: Date) async throws -> Bool {
        // It rewrites the task row, counters included: lock it so no move lands in between.
        try await write(isolation: .rowLocks) { transaction in
            guard var task = try await Self.lockedTask(transaction, id: taskID) else { return false }
            guard task.status.canMove(to: next) else {
                if task.status != next {
                    try await Self.appendAudit(.illegalRolloutTransition(taskID: taskID, from: task.status, to: next, at: now), in: transaction)
                }
                return false
            }
            task.setStatus(next, reason: reason, now: now)
            try await taskChanged(transaction, &task)
            try await transaction.update(task, in: "tasks", key: ["id"])
            return true
        }
    }

    public func task(id: String) async throws -> TaskRecord? {
        try await read { try await Self.task($0, id: id) }
    }

    public func tasks(limit: Int) async throws -> [TaskRecord] {
        try await read { try await $0.fetchAll(TaskRecord.self, "SELECT * FROM tasks ORDER BY createdAt DESC, id DESC LIMIT \(limit)") }
    }

    public func unfinishedTasks() async throws -> [TaskRecord] {
        try await read {
            try await $0.fetchAll(TaskRecord.self, "SELECT * FROM tasks WHERE status = ANY(\(TaskRecord.unfinishedRawValues)) ORDER BY createdAt, id")
        }
    }

    static func task(_ transaction: PostgresTransaction, id: String) async throws -> TaskRecord? {
        try await transaction.fetchOne(TaskRecord.self, "SELECT * FROM tasks WHERE id = \(id)")
    }

    /// The task, its row locked until the transaction ends (`Isolation.rowLocks`).
    static func lockedTask(_ transaction: PostgresTransaction, id: String) async throws -> TaskRecord? {
        try await transaction.fetchOne(TaskRecord.self, "SELECT * FROM tasks WHERE id = \(id) FOR UPDATE")
    }
}
