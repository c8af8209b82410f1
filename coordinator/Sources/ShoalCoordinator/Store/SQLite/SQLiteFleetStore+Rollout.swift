import Foundation
import GRDB
import ShoalCore

/// The reads a rollout pass makes: only the deliveries in the states it acts on, through the
/// `(taskID, status, position)` index, so a pass costs what is moving, not the task's size.
extension SQLiteFleetStore {
    public func activeDeliveries(taskID: String) async throws -> [DeliveryRecord] {
        try await pool.read { db in
            try DeliveryRecord
                .filter(Column("taskID") == taskID && NodeTaskStatus.allCases.filter(\.isActive).map(\.rawValue).contains(Column("status")))
                .order(Column("position"))
                .fetchAll(db)
        }
    }

    public func pendingDeliveries(taskID: String, afterPosition position: Int, limit: Int) async throws -> [DeliveryRecord] {
        try await pool.read { db in
            try DeliveryRecord
                .filter(Column("taskID") == taskID && Column("status") == NodeTaskStatus.pending.rawValue && Column("position") > position)
                .order(Column("position"))
                .limit(limit)
                .fetchAll(db)
        }
    }

    public func endedBadlyCanary(taskID: String) async throws -> DeliveryRecord? {
        try await pool.read { db in
            let ended = NodeTaskStatus.allCases.filter { $0.isFailure || $0 == .cancelled }.map(\.rawValue)
            return try DeliveryRecord
                .filter(Column("taskID") == taskID && ended.contains(Column("status")) && Column("isCanary") == true)
                .order(Column("position"))
                .fetchOne(db)
        }
    }

    public func nodes(ids: [String]) async throws -> [NodeRecord] {
        guard !ids.isEmpty else { return [] }
        return try await pool.read { db in try NodeRecord.fetchAll(db, keys: ids) }
    }
}
