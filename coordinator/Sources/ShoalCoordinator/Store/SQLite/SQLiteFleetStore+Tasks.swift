import Foundation
import GRDB
import ShoalCore

extension SQLiteFleetStore {
    public func createTask(_ task: TaskRecord, nodeIDs: [String], now: Date, sign: @Sendable (String, String, Int64) throws -> String) async throws -> [DeliveryRecord] {
        try await pool.write { db in
            try task.insert(db)
            var deliveries: [DeliveryRecord] = []
            for nodeID in nodeIDs {
                try db.execute(sql: "UPDATE nodes SET lastSequence = lastSequence + 1 WHERE id = ?", arguments: [nodeID])
                guard let sequence = try Int64.fetchOne(db, sql: "SELECT lastSequence FROM nodes WHERE id = ?", arguments: [nodeID]) else {
                    throw ShoalError(.notFound, "node \(nodeID) disappeared while the task was created")
                }
                let deliveryID = "b-" + RandomID.make(bytes: 10)
                let delivery = DeliveryRecord(
                    id: deliveryID, taskID: task.id, nodeID: nodeID, sequence: sequence, status: .queued,
                    envelopeJSON: try sign(nodeID, deliveryID, sequence), createdAt: now
                )
                try delivery.insert(db)
                deliveries.append(delivery)
            }
            return deliveries
        }
    }

    public func takeQueuedDeliveries(nodeID: String, now: Date) async throws -> [DeliveryRecord] {
        try await pool.write { db in
            var queued = try DeliveryRecord
                .filter(Column("nodeID") == nodeID && Column("status") == NodeTaskStatus.queued.rawValue)
                .order(Column("sequence"))
                .fetchAll(db)
            for index in queued.indices {
                queued[index].status = .delivered
                queued[index].deliveredAt = now
                try queued[index].update(db)
            }
            return queued
        }
    }

    public func recordResult(_ result: BundleResult, fromNode nodeID: String, now: Date) async throws -> Bool {
        try await pool.write { db in
            guard var delivery = try DeliveryRecord.fetchOne(db, key: result.deliveryID), delivery.nodeID == nodeID else {
                // Not ours to record (unknown, or another node's): note it, let the agent forget it.
                var event = NodeEventRecord(
                    nodeID: nodeID, at: now, kind: "result_unmatched",
                    detail: "result for unknown delivery \(result.deliveryID): \(result.status.rawValue) \(result.errorCode?.rawValue ?? "")"
                )
                try event.insert(db)
                return true
            }
            if delivery.status.isFinal { return true }
            delivery.status = NodeTaskStatus(result.status)
            delivery.finishedAt = result.finishedAt
            let lastStep = result.steps.last
            delivery.exitCode = lastStep?.exitCode
            delivery.errorCode = result.errorCode?.rawValue
            delivery.message = result.message
            delivery.firstLine = Self.firstLine(of: result)
            delivery.resultJSON = try result.jsonText()
            if delivery.deliveredAt == nil { delivery.deliveredAt = result.startedAt }
            try delivery.update(db)
            if result.status == .refused {
                var event = NodeEventRecord(nodeID: nodeID, at: now, kind: "bundle_refused", detail: "\(result.errorCode?.rawValue ?? ""): \(result.message ?? "")")
                try event.insert(db)
            }
            return true
        }
    }

    public func task(id: String) async throws -> TaskRecord? {
        try await pool.read { db in try TaskRecord.fetchOne(db, key: id) }
    }

    public func tasks(limit: Int) async throws -> [TaskRecord] {
        try await pool.read { db in try TaskRecord.order(Column("createdAt").desc).limit(limit).fetchAll(db) }
    }

    public func deliveries(taskID: String) async throws -> [DeliveryRecord] {
        try await pool.read { db in
            try DeliveryRecord.filter(Column("taskID") == taskID).order(Column("nodeID")).fetchAll(db)
        }
    }

    /// The line an operator wants in a table: the last step's first line of output, else its message.
    static func firstLine(of result: BundleResult) -> String? {
        guard let step = result.steps.last else { return result.message }
        for candidate in [step.stdout.firstLine, step.stderr.firstLine, step.message ?? ""] where !candidate.isEmpty {
            return String(candidate.prefix(200))
        }
        return result.message
    }
}

extension NodeTaskStatus {
    init(_ status: BundleStatus) {
        switch status {
        case .succeeded: self = .succeeded
        case .failed: self = .failed
        case .timedOut: self = .timedOut
        case .refused: self = .refused
        case .interrupted: self = .interrupted
        }
    }
}
