import Foundation
import PostgresNIO
import ShoalCore

extension PostgresFleetStore {
    /// One REPEATABLE READ snapshot, so the node rows and the counts agree with each other.
    public func metricsSnapshot() async throws -> FleetMetricsSnapshot {
        try await snapshot { transaction in
            let nodes = try await transaction.fetchAll(FleetMetricsSnapshot.Node.self, """
                SELECT id, hostname, status, labelsJSON, lastHeartbeatAt, metricsJSON FROM nodes ORDER BY hostname COLLATE "C", id COLLATE "C"
                """)
            return FleetMetricsSnapshot(
                nodes: nodes,
                rollouts: try await Self.countByStatus(transaction, "SELECT status, COUNT(*) AS count FROM tasks GROUP BY status", as: RolloutStatus.self),
                deliveries: try await Self.countByStatus(transaction, "SELECT status, COUNT(*) AS count FROM deliveries GROUP BY status", as: NodeTaskStatus.self)
            )
        }
    }

    /// A status this build does not know (a newer coordinator wrote it) is left out, not an error.
    private static func countByStatus<Status: RawRepresentable & Hashable>(
        _ transaction: PostgresTransaction, _ query: PostgresQuery, as _: Status.Type
    ) async throws -> [Status: Int] where Status.RawValue == String {
        var result: [Status: Int] = [:]
        for row in try await transaction.fetchAll(StatusCount.self, query) {
            if let status = Status(rawValue: row.status) { result[status, default: 0] += row.count }
        }
        return result
    }
}

private struct StatusCount: Decodable {
    var status: String
    var count: Int
}
