import Foundation
import PostgresNIO
import ShoalCore

/// What a node's agent does to its deliveries (polls for them, starts them, reports their
/// results, hears of cancellations) and the reads of single deliveries, as
/// `SQLiteFleetStore+Tasks.swift` does them; every move goes through `move`.
extension PostgresFleetStore {
    public func takeQueuedDeliveries(nodeID: String, now: Date) async throws -> [DeliveryRecord] {
        // Almost every poll finds nothing: an autocommit look first (prepared), so an idle
        // fleet's polls cost one indexed read each, not a transaction.
        let handedOut = NodeTaskStatus.handedOutRawValues
        let any = try await read { try await !$0.run(PostgresHotStatements.AnyHandedOut(nodeID: nodeID)).isEmpty }
        guard any else { return [] }
        return try await write(isolation: .rowLocks) { transaction in
            // `sent` ones too: see `DeliveryRecord.handOut`.
            let pending = try await transaction.fetchAll(
                DeliveryRecord.self, "SELECT * FROM deliveries WHERE nodeID = \(nodeID) AND status = ANY(\(handedOut)) ORDER BY sequence FOR UPDATE"
            )
            var taken: [DeliveryRecord] = []
            for var delivery in pending {
                if !delivery.handOut(now: now) {
                    taken.append(delivery)
                } else if try await move(transaction, &delivery, to: .sent, now: now) {
                    taken.append(delivery)
                }
            }
            return taken
        }
    }

    public func startDelivery(deliveryID: String, nodeID: String, now: Date) async throws -> Bool {
        try await write(isolation: .rowLocks) { transaction in
            guard var delivery = try await Self.lockedDelivery(transaction, id: deliveryID), delivery.nodeID == nodeID else { return false }
            if delivery.cancelRequested {
                delivery.withdraw(reason: "cancelled by the operator before it started")
                _ = try await move(transaction, &delivery, to: .cancelled, now: now)
                return false
            }
            guard delivery.status == .sent else { return delivery.status == .running }
            delivery.startedAt = now
            return try await move(transaction, &delivery, to: .running, now: now)
        }
    }

    public func recordResult(_ result: BundleResult, fromNode nodeID: String, now: Date) async throws -> Bool {
        try await write(isolation: .rowLocks) { transaction in
            guard var delivery = try await Self.lockedDelivery(transaction, id: result.deliveryID), delivery.nodeID == nodeID else {
                // Not ours to record (unknown, or another node's): note it, let the agent forget it.
                try await transaction.insert(NodeEventRecord.unmatchedResult(result, nodeID: nodeID, at: now), into: "node_events")
                return true
            }
            if delivery.status.isFinal { return true }
            try delivery.take(result)
            _ = try await move(transaction, &delivery, to: NodeTaskStatus(result.status), now: now)
            if result.status == .refused {
                try await transaction.insert(NodeEventRecord.bundleRefused(result, nodeID: nodeID, at: now), into: "node_events")
            }
            return true
        }
    }

    public func cancellationsRequested(nodeID: String) async throws -> [String] {
        try await read { try await Self.cancellationsRequested($0, nodeID: nodeID) }
    }

    /// The deliveries with the node's agent that the operator cancelled: what a heartbeat's
    /// answer carries.
    static func cancellationsRequested(_ transaction: PostgresTransaction, nodeID: String) async throws -> [String] {
        let withAgent = [NodeTaskStatus.sent.rawValue, NodeTaskStatus.running.rawValue]
        return try await transaction.column(
            String.self, "SELECT id FROM deliveries WHERE nodeID = \(nodeID) AND cancelRequested AND status = ANY(\(withAgent)) ORDER BY sequence"
        )
    }

    public func delivery(id: String) async throws -> DeliveryRecord? {
        try await read { try await Self.delivery($0, id: id) }
    }

    public func deliveries(taskID: String) async throws -> [DeliveryRecord] {
        try await read { try await $0.fetchAll(DeliveryRecord.self, "SELECT * FROM deliveries WHERE taskID = \(taskID) ORDER BY position") }
    }

    static func delivery(_ transaction: PostgresTransaction, id: String) async throws -> DeliveryRecord? {
        try await transaction.fetchOne(DeliveryRecord.self, "SELECT * FROM deliveries WHERE id = \(id)")
    }

    /// The delivery, its row locked until the transaction ends (`Isolation.rowLocks`).
    static func lockedDelivery(_ transaction: PostgresTransaction, id: String) async throws -> DeliveryRecord? {
        try await transaction.fetchOne(DeliveryRecord.self, "SELECT * FROM deliveries WHERE id = \(id) FOR UPDATE")
    }
}
