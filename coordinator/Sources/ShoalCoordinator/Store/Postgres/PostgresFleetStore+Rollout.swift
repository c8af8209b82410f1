import Foundation
import PostgresNIO
import ShoalCore

/// The reads a rollout pass makes: only the deliveries in the states it acts on, through the
/// `(taskID, status, position)` index, so a pass costs what is moving, not the task's size.
extension PostgresFleetStore {
    public func activeDeliveries(taskID: String) async throws -> [DeliveryRecord] {
        try await read { transaction in
            try await transaction.fetchAll(DeliveryRecord.self, """
                SELECT * FROM deliveries WHERE taskID = \(taskID) AND status = ANY(\(NodeTaskStatus.activeRawValues)) ORDER BY position
                """)
        }
    }

    public func pendingDeliveries(taskID: String, afterPosition position: Int, limit: Int) async throws -> [DeliveryRecord] {
        try await read { transaction in
            try await transaction.fetchAll(DeliveryRecord.self, """
                SELECT * FROM deliveries WHERE taskID = \(taskID) AND status = \(NodeTaskStatus.pending.rawValue) AND position > \(position)
                ORDER BY position LIMIT \(limit)
                """)
        }
    }

    public func endedBadlyCanary(taskID: String) async throws -> DeliveryRecord? {
        try await read { transaction in
            try await transaction.fetchOne(DeliveryRecord.self, """
                SELECT * FROM deliveries WHERE taskID = \(taskID) AND status = ANY(\(NodeTaskStatus.endedBadlyRawValues)) AND isCanary
                ORDER BY position LIMIT 1
                """)
        }
    }
}
