import Foundation
import PostgresNIO
import ShoalCore

extension PostgresFleetStore {
    /// The one place a delivery changes state, as `SQLiteFleetStore.move`: checks the move
    /// against the state machine (`NodeTaskStatus.canMove`), updates the task's counters and
    /// version in the same transaction, logs refused moves as node events.
    func move(_ transaction: PostgresTransaction, _ delivery: inout DeliveryRecord, to next: NodeTaskStatus, now: Date) async throws -> Bool {
        guard delivery.status.canMove(to: next) else {
            try await transaction.insert(NodeEventRecord(
                nodeID: delivery.nodeID, at: now, kind: "illegal_transition",
                detail: "delivery \(delivery.id): \(delivery.status.rawValue) → \(next.rawValue) refused"
            ), into: "node_events")
            return false
        }
        let (from, to) = (TaskRecord.counterColumn(for: delivery.status), TaskRecord.counterColumn(for: next))
        delivery.status = next
        if next.isFinal, delivery.finishedAt == nil { delivery.finishedAt = now }
        try await transaction.update(delivery, in: "deliveries", key: ["id"])
        try await signalAfterCommit(transaction, taskID: delivery.taskID)
        // The node's long poll may be held by another replica: wake it through the database.
        if next == .queued { try await transaction.notify(PostgresChannel.work, payload: delivery.nodeID) }
        // The task's row last: every delivery of a fan-out updates it, and its lock is held
        // until COMMIT, so it is taken as late as the transaction allows (deliveries before
        // their task, as everywhere).
        let sql = from == to
            ? "UPDATE tasks SET changeVersion = changeVersion + 1 WHERE id = $1 RETURNING 1"
            : "UPDATE tasks SET \(from) = \(from) - 1, \(to) = \(to) + 1, changeVersion = changeVersion + 1 WHERE id = $1 RETURNING 1"
        var binds = PostgresBindings()
        binds.append(delivery.taskID)
        guard try await transaction.execute(PostgresQuery(unsafeSQL: sql, binds: binds)) == 1 else {
            throw ShoalError(.storage, "delivery \(delivery.id) belongs to missing task \(delivery.taskID)")
        }
        return true
    }

    /// Every change of a task passes here (and every delivery move through `move`): its
    /// `changeVersion` moves in the same transaction, and the feed hears of it on commit.
    func taskChanged(_ transaction: PostgresTransaction, _ task: inout TaskRecord) async throws {
        task.changeVersion += 1
        try await signalAfterCommit(transaction, taskID: task.id)
    }

    /// Tells `taskChanges` about `taskID` when the transaction commits: this replica's
    /// waiters at once, and every other replica's through `NOTIFY` (`PostgresChangeListener`),
    /// which PostgreSQL delivers only if and when the transaction commits.
    func signalAfterCommit(_ transaction: PostgresTransaction, taskID: String) async throws {
        let feed = taskChanges
        transaction.afterCommit { feed.changed(taskIDs: [taskID]) }
        try await transaction.notify(PostgresChannel.tasks, payload: taskID)
    }
}
