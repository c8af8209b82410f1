import GRDB
import ShoalCore

extension SQLiteFleetStore {
    public func metricsSnapshot() async throws -> FleetMetricsSnapshot {
        try await pool.read { db in
            let nodes = try FleetMetricsSnapshot.Node.fetchAll(
                db, sql: "SELECT id, hostname, status, labelsJSON, lastHeartbeatAt, metricsJSON FROM nodes ORDER BY hostname, id"
            )
            // A status this build does not know (a newer coordinator wrote it) is left out, not an error.
            func counts<Status: RawRepresentable & Hashable>(_ table: String, as _: Status.Type) throws -> [Status: Int] where Status.RawValue == String {
                var result: [Status: Int] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS count FROM \(table) GROUP BY status") {
                    if let status = Status(rawValue: row["status"]) { result[status, default: 0] += row["count"] as Int }
                }
                return result
            }
            return FleetMetricsSnapshot(
                nodes: nodes, rollouts: try counts("tasks", as: RolloutStatus.self), deliveries: try counts("deliveries", as: NodeTaskStatus.self)
            )
        }
    }
}
