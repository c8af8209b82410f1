import Foundation
import GRDB
import ShoalCore

/// The reads a rollout pass makes: only the deliveries in the states it acts on, through the
/// `(taskID, status, position)` index, so a pass costs what is moving, not the task's size.
extension SQLiteFleetStore {
    public func activeDeliveries(taskID: String) async throws -> [DeliveryRecord] {
        try await pool.read { db in
            try DeliveryRecord
                .filter(Column("taskID") == taskID && NodeTaskStatus.activeRawValues.contains(Column("status")))
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
            try DeliveryRecord
                .filter(Column("taskID") == taskID && NodeTaskStatus.endedBadlyRawValues.contains(Column("status")) && Column("isCanary") == true)
                .order(Column("position"))
                .fetchOne(db)
        }
    }

    public func nodeSummaries(ids: [String]) async throws -> [String: NodeSummary] {
        guard !ids.isEmpty else { return [:] }
        return try await pool.read { db in
            var summaries: [String: NodeSummary] = [:]
            // One statement per page of ids (SQLite caps bound parameters), three columns each.
            for start in stride(from: 0, to: ids.count, by: 500) {
                let page = Array(ids[start..<min(start + 500, ids.count)])
                let sql = "SELECT id, hostname, status FROM nodes WHERE id IN (\(Array(repeating: "?", count: page.count).joined(separator: ",")))"
                for row in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(page)) {
                    guard let status = NodeRecord.Status(rawValue: row[2]) else { continue }
                    summaries[row[0]] = NodeSummary(id: row[0], hostname: row[1], status: status)
                }
            }
            return summaries
        }
    }
}
