import Foundation
import PostgresNIO
import ShoalCore

/// The statements behind every agent request — the credential check, the poll's look for
/// work, the heartbeat — as prepared statements: each pooled connection parses and plans
/// them once, then only binds and runs them. Sent as plain queries, parsing and planning
/// took about half of PostgreSQL's CPU under a simulated fleet (perf: `pg_plan_queries`,
/// `raw_parser`), several times what running them took.
enum PostgresHotStatements {
    /// `nodeCredential`: the columns every agent request checks its certificate against.
    struct NodeCredential: PostgresPreparedStatement {
        static let name = "shoal_node_credential"
        static let sql = "SELECT status, certificateSerial, previousCertificateSerial, certificateKey FROM nodes WHERE id = $1"
        static let bindingDataTypes: [PostgresDataType] = [.text]
        typealias Row = (String, String, String?, String?)

        var nodeID: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(nodeID)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// The poll's first look: does the node have anything to hand out?
    struct AnyHandedOut: PostgresPreparedStatement {
        static let name = "shoal_any_handed_out"
        static let sql = "SELECT true FROM deliveries WHERE nodeID = $1 AND status = ANY($2) LIMIT 1"
        static let bindingDataTypes: [PostgresDataType] = [.text, .textArray]
        typealias Row = Bool

        var nodeID: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(nodeID)
            bindings.append(NodeTaskStatus.handedOutRawValues)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Bool.self) }
    }

    /// The heartbeat as one statement: lock the node's row, mark it ready (a revoked node, or
    /// a status this build does not know, keeps its own), record "back" when it was down, and
    /// return the new status, the label statement when the node's copy is behind, and the
    /// cancellations its agent must hear about.
    struct Heartbeat: PostgresPreparedStatement {
        static let name = "shoal_heartbeat"
        static let sql = """
            WITH previous AS (SELECT id, status FROM nodes WHERE id = $1 FOR UPDATE),
            updated AS (
                UPDATE nodes SET status = CASE WHEN previous.status IN ('ready', 'down') THEN 'ready' ELSE previous.status END,
                    lastHeartbeatAt = $2, metricsJSON = $3, factsJSON = COALESCE($4, nodes.factsJSON),
                    coordinatorURL = COALESCE($5, nodes.coordinatorURL)
                FROM previous WHERE nodes.id = previous.id
                RETURNING previous.status AS previousStatus, nodes.status, nodes.labelsVersion,
                    CASE WHEN nodes.labelsVersion > $6 THEN nodes.labelStatementJSON END AS labelStatementJSON),
            back AS (
                INSERT INTO node_events (nodeID, at, kind, detail)
                SELECT $1, $2, $7, $8 FROM updated WHERE previousStatus = 'down')
            SELECT status, labelsVersion, labelStatementJSON,
                ARRAY(SELECT id FROM deliveries WHERE nodeID = $1 AND cancelRequested AND status = ANY($9) ORDER BY sequence)
            FROM updated
            """
        static let bindingDataTypes: [PostgresDataType] = [.text, .timestamptz, .text, .text, .text, .int8, .text, .text, .textArray]
        typealias Row = (String, Int, String?, [String])

        var nodeID: String
        var at: Date
        var metricsJSON: String
        var factsJSON: String?
        var coordinatorURL: String?
        var labelsVersionHeld: Int

        func makeBindings() throws -> PostgresBindings {
            let back = NodeEventRecord.backReady(nodeID: nodeID, at: at)
            var bindings = PostgresBindings(capacity: 9)
            bindings.append(nodeID)
            bindings.append(at)
            bindings.append(metricsJSON)
            bindings.append(factsJSON)
            bindings.append(coordinatorURL)
            bindings.append(labelsVersionHeld)
            bindings.append(back.kind)
            bindings.append(back.detail)
            bindings.append([NodeTaskStatus.sent.rawValue, NodeTaskStatus.running.rawValue])
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }

        /// The answer, the status checked (a status this build does not know is an error).
        static func outcome(_ row: Row, nodeID: String) throws -> HeartbeatOutcome {
            HeartbeatOutcome(
                status: try NodeRecord.Status(stored: row.0, nodeID: nodeID), labelsVersion: row.1,
                labelStatement: row.2.flatMap { try? WireCoding.decode(DSSEEnvelope.self, from: Data($0.utf8)) },
                cancellations: row.3
            )
        }
    }
}

extension PostgresTransaction {
    /// Runs a prepared statement (prepared on this connection the first time) and returns its rows.
    func run<Statement: PostgresPreparedStatement>(_ statement: Statement) async throws -> [Statement.Row] {
        var rows: [Statement.Row] = []
        for try await row in try await connection.execute(statement, logger: logger) { rows.append(row) }
        return rows
    }
}
