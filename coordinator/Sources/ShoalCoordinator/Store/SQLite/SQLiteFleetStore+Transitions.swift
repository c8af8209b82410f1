import Foundation
import GRDB
import ShoalCore

extension SQLiteFleetStore {
    /// The one place a delivery changes state: checks the move against the state machine,
    /// updates the rollout's counters in the same transaction, and logs refused moves.
    func move(_ db: Database, _ delivery: inout DeliveryRecord, to next: NodeTaskStatus, now: Date) throws -> Bool {
        guard delivery.status.canMove(to: next) else {
            var event = NodeEventRecord(
                nodeID: delivery.nodeID, at: now, kind: "illegal_transition",
                detail: "delivery \(delivery.id): \(delivery.status.rawValue) → \(next.rawValue) refused"
            )
            try event.insert(db)
            return false
        }
        // The task's counters and version in one statement of its own, not a read and a
        // rewrite of the whole task row (its request and statement) per transition, which
        // was most of the cost of a large fan-out.
        let (from, to) = (TaskRecord.counterColumn(for: delivery.status), TaskRecord.counterColumn(for: next))
        let sql = from == to
            ? "UPDATE tasks SET changeVersion = changeVersion + 1 WHERE id = ?"
            : "UPDATE tasks SET \(from) = \(from) - 1, \(to) = \(to) + 1, changeVersion = changeVersion + 1 WHERE id = ?"
        try db.cachedStatement(sql: sql).execute(arguments: [delivery.taskID])
        guard db.changesCount == 1 else {
            throw ShoalError(.storage, "delivery \(delivery.id) belongs to missing task \(delivery.taskID)")
        }
        signalAfterCommit(db, taskID: delivery.taskID)
        delivery.status = next
        if next.isFinal, delivery.finishedAt == nil { delivery.finishedAt = now }
        try delivery.update(db)
        return true
    }

    /// Every change of a task passes here, and every transition of one of its deliveries
    /// through `move`, which raises the version in its counter `UPDATE` and signals the same
    /// way: the task's `changeVersion` moves in the same transaction (so a waiter that
    /// compares versions never misses one, whatever happens in memory), and the feed hears of
    /// it once the transaction commits (so nobody wakes for a change that was rolled back).
    func taskChanged(_ db: Database, _ task: inout TaskRecord) {
        task.changeVersion += 1
        signalAfterCommit(db, taskID: task.id)
    }

    /// Tells `taskChanges` about `taskID` when the current transaction commits.
    func signalAfterCommit(_ db: Database, taskID: String) {
        let feed = taskChanges
        db.afterNextTransaction(onCommit: { _ in feed.changed(taskIDs: [taskID]) })
    }
}
