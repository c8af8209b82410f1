import Foundation
import GRDB
import ShoalCore

extension SQLiteFleetStore {
    public func createTask(_ task: TaskRecord, deliveries: [DeliveryRecord], audit: AuditEntry) async throws {
        try await pool.write { db in
            try task.insert(db)
            for delivery in deliveries { try delivery.insert(db) }
            self.signalAfterCommit(db, taskID: task.id)
            try Self.appendAudit(audit, in: db)
        }
    }

    public func queue(deliveryID: String, now: Date, sign: @escaping @Sendable (DeliveryRecord, Int64) throws -> String) async throws -> DeliveryRecord? {
        try await pool.write { db in
            guard var delivery = try DeliveryRecord.fetchOne(db, key: deliveryID), delivery.status == .pending else { return nil }
            try db.cachedStatement(sql: "UPDATE nodes SET lastSequence = lastSequence + 1 WHERE id = ?").execute(arguments: [delivery.nodeID])
            guard let sequence = try Int64.fetchOne(db.cachedStatement(sql: "SELECT lastSequence FROM nodes WHERE id = ?"), arguments: [delivery.nodeID]) else {
                throw ShoalError(.notFound, "node \(delivery.nodeID) is no longer enrolled")
            }
            try delivery.prepareToQueue(sequence: sequence, now: now, sign: sign)
            guard try self.move(db, &delivery, to: .queued, now: now) else { return nil }
            return delivery
        }
    }

    public func transition(
        deliveryID: String, from: Set<NodeTaskStatus>?, to next: NodeTaskStatus, now: Date,
        errorCode: String?, message: String?, notBefore: Date?, countAttempt: Bool = false
    ) async throws -> DeliveryRecord? {
        try await pool.write { db in
            guard var delivery = try DeliveryRecord.fetchOne(db, key: deliveryID) else { return nil }
            if let from, !from.contains(delivery.status) { return nil }
            delivery.note(errorCode: errorCode, message: message, notBefore: notBefore, countAttempt: countAttempt)
            guard try self.move(db, &delivery, to: next, now: now) else { return nil }
            return delivery
        }
    }

    public func takeQueuedDeliveries(nodeID: String, now: Date) async throws -> [DeliveryRecord] {
        // Almost every poll finds nothing: ask a reader first, so an idle fleet's polls never
        // queue behind SQLite's one writer (heartbeats, results) for an empty answer.
        // A statement prepared once per connection (deliveries_by_node_status).
        let any = try await pool.read { db in
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT 1 FROM deliveries WHERE nodeID = ? AND status IN ('queued', 'sent') LIMIT 1"), arguments: [nodeID]
            ) ?? false
        }
        guard any else { return [] }
        return try await pool.write { db in
            // `sent` ones too: see `DeliveryRecord.handOut`.
            let pending = try DeliveryRecord
                .filter(Column("nodeID") == nodeID && NodeTaskStatus.handedOutRawValues.contains(Column("status")))
                .order(Column("sequence"))
                .fetchAll(db)
            var taken: [DeliveryRecord] = []
            for var delivery in pending {
                if !delivery.handOut(now: now) {
                    taken.append(delivery)
                } else if try self.move(db, &delivery, to: .sent, now: now) {
                    taken.append(delivery)
                }
            }
            return taken
        }
    }

    public func startDelivery(deliveryID: String, nodeID: String, now: Date) async throws -> Bool {
        try await pool.write { db in
            guard var delivery = try DeliveryRecord.fetchOne(db, key: deliveryID), delivery.nodeID == nodeID else { return false }
            if delivery.cancelRequested {
                delivery.withdraw(reason: "cancelled by the operator before it started")
                _ = try self.move(db, &delivery, to: .cancelled, now: now)
                return false
            }
            guard delivery.status == .sent else { return delivery.status == .running }
            delivery.startedAt = now
            return try self.move(db, &delivery, to: .running, now: now)
        }
    }

    public func recordResult(_ result: BundleResult, fromNode nodeID: String, now: Date) async throws -> Bool {
        try await pool.write { db in
            guard var delivery = try DeliveryRecord.fetchOne(db, key: result.deliveryID), delivery.nodeID == nodeID else {
                // Not ours to record (unknown, or another node's): note it, let the agent forget it.
                var event = NodeEventRecord.unmatchedResult(result, nodeID: nodeID, at: now)
                try event.insert(db)
                return true
            }
            if delivery.status.isFinal { return true }
            try delivery.take(result)
            _ = try self.move(db, &delivery, to: NodeTaskStatus(result.status), now: now)
            if result.status == .refused {
                var event = NodeEventRecord.bundleRefused(result, nodeID: nodeID, at: now)
                try event.insert(db)
            }
            return true
        }
    }

    public func cancellationsRequested(nodeID: String) async throws -> [String] {
        try await pool.read { db in try Self.cancellationsRequested(db, nodeID: nodeID) }
    }

    static func cancellationsRequested(_ db: Database, nodeID: String) throws -> [String] {
        try String.fetchAll(
            db.cachedStatement(sql: "SELECT id FROM deliveries WHERE nodeID = ? AND cancelRequested AND status IN ('sent', 'running')"), arguments: [nodeID]
        )
    }

    public func requestCancel(taskID: String, reason: String, now: Date, audit: AuditEntry) async throws -> TaskRecord? {
        try await pool.write { db in
            guard var task = try TaskRecord.fetchOne(db, key: taskID) else { return nil }
            guard !task.status.isFinal else { return task }
            task.requestCancel(reason: reason)
            self.taskChanged(db, &task)
            try task.update(db)
            for var delivery in try DeliveryRecord.filter(Column("taskID") == taskID).fetchAll(db) {
                switch delivery.cancelEffect {
                case .withdraw:
                    delivery.withdraw(reason: reason)
                    _ = try self.move(db, &delivery, to: .cancelled, now: now)
                case .flag:
                    delivery.cancelRequested = true
                    try delivery.update(db)
                case .none:
                    break
                }
            }
            try Self.appendAudit(audit, in: db)
            return try TaskRecord.fetchOne(db, key: taskID)
        }
    }

    public func requestHalt(taskID: String, reason: String, code: ShoalError.Code, now: Date) async throws {
        try await pool.write { db in
            guard var task = try TaskRecord.fetchOne(db, key: taskID), !task.haltRequested else { return }
            task.requestHalt(reason: reason)
            self.taskChanged(db, &task)
            try task.update(db)
            for var delivery in try DeliveryRecord.filter(Column("taskID") == taskID && Column("status") == NodeTaskStatus.pending.rawValue).fetchAll(db) {
                delivery.haltBeforeStart(code: code, reason: reason)
                _ = try self.move(db, &delivery, to: .cancelled, now: now)
            }
        }
    }

    public func setRolloutStatus(taskID: String, to next: RolloutStatus, reason: String?, now: Date) async throws -> Bool {
        try await pool.write { db in
            guard var task = try TaskRecord.fetchOne(db, key: taskID) else { return false }
            guard task.status.canMove(to: next) else {
                if task.status != next {
                    try Self.appendAudit(.illegalRolloutTransition(taskID: taskID, from: task.status, to: next, at: now), in: db)
                }
                return false
            }
            task.setStatus(next, reason: reason, now: now)
            self.taskChanged(db, &task)
            try task.update(db)
            return true
        }
    }

    public func task(id: String) async throws -> TaskRecord? {
        try await pool.read { db in try TaskRecord.fetchOne(db, key: id) }
    }

    public func tasks(limit: Int) async throws -> [TaskRecord] {
        try await pool.read { db in try TaskRecord.order(Column("createdAt").desc).limit(limit).fetchAll(db) }
    }

    public func unfinishedTasks() async throws -> [TaskRecord] {
        try await pool.read { db in
            try TaskRecord.filter(TaskRecord.unfinishedRawValues.contains(Column("status")))
                .order(Column("createdAt")).fetchAll(db)
        }
    }

    public func delivery(id: String) async throws -> DeliveryRecord? {
        try await pool.read { db in try DeliveryRecord.fetchOne(db, key: id) }
    }

    public func deliveries(taskID: String) async throws -> [DeliveryRecord] {
        try await pool.read { db in
            try DeliveryRecord.filter(Column("taskID") == taskID).order(Column("position")).fetchAll(db)
        }
    }
}
