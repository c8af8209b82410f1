import Foundation
import PostgresNIO
import ShoalCore

/// Nodes: reads, heartbeats and liveness, revocation and certificates, as `SQLiteFleetStore`.
extension PostgresFleetStore {
    public func node(id: String) async throws -> NodeRecord? {
        try await read { try await $0.fetchOne(NodeRecord.self, "SELECT * FROM nodes WHERE id = \(id)") }
    }

    /// By hostname, then id, byte by byte (`COLLATE "C"`) as SQLite orders text, whatever the
    /// database's locale.
    public func nodes() async throws -> [NodeRecord] {
        try await read { try await $0.fetchAll(NodeRecord.self, #"SELECT * FROM nodes ORDER BY hostname COLLATE "C", id COLLATE "C""#) }
    }

    /// One statement whatever the number of ids (they are bound as one array).
    public func nodeSummaries(ids: [String]) async throws -> [String: NodeSummary] {
        guard !ids.isEmpty else { return [:] }
        return try await read { transaction in
            var summaries: [String: NodeSummary] = [:]
            for row in try await transaction.fetchAll(NodeSummaryRow.self, "SELECT id, hostname, status FROM nodes WHERE id = ANY(\(ids))") {
                // A status this build does not know (a newer coordinator wrote it) is left out.
                guard let status = NodeRecord.Status(rawValue: row.status) else { continue }
                summaries[row.id] = NodeSummary(id: row.id, hostname: row.hostname, status: status)
            }
            return summaries
        }
    }

    /// The narrow read every agent request makes (prepared): the facts and metrics columns stay unread.
    public func nodeCredential(id: String) async throws -> NodeCredential? {
        try await read { transaction in
            guard let row = try await transaction.run(PostgresHotStatements.NodeCredential(nodeID: id)).first else { return nil }
            return NodeCredential(
                status: try NodeRecord.Status(stored: row.0, nodeID: id), certificateSerial: row.1, previousCertificateSerial: row.2, certificateKey: row.3
            )
        }
    }

    /// Writes only the columns a heartbeat changes (the facts only when the node sent new
    /// ones) and reads, in the same write, only what the answer needs. Most heartbeats fall in
    /// a metric minute this replica has recorded already: those are one prepared autocommit
    /// statement (`PostgresHotStatements.Heartbeat`), one round trip, where a transaction took
    /// ten (BEGIN, lock, update, the minute's checks, cancellations, COMMIT). The first
    /// heartbeat of a minute also records the metric point, which reads the node's facts, so
    /// it keeps the transaction.
    public func recordHeartbeat(
        nodeID: String, at: Date, metricsJSON: String, factsJSON: String?, point: MetricPoint?, labelsVersionHeld: Int, coordinatorURL: String?
    ) async throws -> HeartbeatOutcome? {
        let statement = PostgresHotStatements.Heartbeat(
            nodeID: nodeID, at: at, metricsJSON: metricsJSON, factsJSON: factsJSON, coordinatorURL: coordinatorURL, labelsVersionHeld: labelsVersionHeld
        )
        let point = point.flatMap { point in recordedMinutes.withLock { $0[nodeID] } == point.at ? nil : point }
        guard let point else {
            return try await write(isolation: .statement) { connection in
                try await connection.run(statement).first.map { try PostgresHotStatements.Heartbeat.outcome($0, nodeID: nodeID) }
            }
        }
        // Row locks: a heartbeat and a bundle queued to the node both write its row.
        let outcome = try await write(isolation: .rowLocks) { transaction -> HeartbeatOutcome? in
            guard let row = try await transaction.run(statement).first else { return nil }
            try await Self.recordMetricPoint(transaction, nodeID: nodeID, point: point)
            return try PostgresHotStatements.Heartbeat.outcome(row, nodeID: nodeID)
        }
        if outcome != nil { recordedMinutes.withLock { $0[nodeID] = point.at } }
        return outcome
    }

    /// One UPDATE marks every overdue node; its ids come back those that beat first, oldest
    /// beat first, then those never heard from.
    public func markDown(lastHeartbeatBefore cutoff: Date, now: Date) async throws -> [String] {
        try await write { transaction in
            let stale = try await transaction.fetchAll(StaleNode.self, """
                WITH marked AS (
                    UPDATE nodes SET status = 'down'
                    WHERE status = 'ready' AND (lastHeartbeatAt < \(cutoff) OR (lastHeartbeatAt IS NULL AND enrolledAt < \(cutoff)))
                    RETURNING id, lastHeartbeatAt)
                SELECT id, lastHeartbeatAt FROM marked ORDER BY lastHeartbeatAt NULLS LAST, id COLLATE "C"
                """)
            try await Self.insertEvents(stale.map { NodeEventRecord.down(nodeID: $0.id, lastHeartbeatAt: $0.lastHeartbeatAt, at: now) }, in: transaction)
            // The rollouts those nodes were in may be driven by another replica: wake it.
            if !stale.isEmpty { try await transaction.notify(PostgresChannel.fleet, payload: "") }
            return stale.map(\.id)
        }
    }

    /// Many events in one statement (a fleet can go down together).
    static func insertEvents(_ events: [NodeEventRecord], in transaction: PostgresTransaction) async throws {
        guard !events.isEmpty else { return }
        try await transaction.execute("""
            INSERT INTO node_events (nodeID, at, kind, detail)
            SELECT * FROM unnest(\(events.map(\.nodeID))::text[], \(events.map(\.at))::timestamptz[], \(events.map(\.kind))::text[], \(events.map(\.detail))::text[])
            """)
    }

    /// LEAST skips a NULL: the oldest of the oldest beat and the oldest silent enrollment.
    public func oldestReadyHeartbeat() async throws -> Date? {
        try await read { transaction in
            try await transaction.scalar(Date.self, """
                SELECT LEAST(
                    (SELECT MIN(lastHeartbeatAt) FROM nodes WHERE status = 'ready' AND lastHeartbeatAt IS NOT NULL),
                    (SELECT MIN(enrolledAt) FROM nodes WHERE status = 'ready' AND lastHeartbeatAt IS NULL))
                """)
        }
    }

    public func events(nodeID: String) async throws -> [NodeEventRecord] {
        try await read { try await $0.fetchAll(NodeEventRecord.self, "SELECT * FROM node_events WHERE nodeID = \(nodeID) ORDER BY id") }
    }

    public func revoke(nodeID: String, reason: String, now: Date, audit: AuditEntry) async throws -> NodeRecord? {
        try await write { transaction in
            guard let node = try await transaction.fetchOne(NodeRecord.self, "UPDATE nodes SET status = 'revoked' WHERE id = \(nodeID) RETURNING *") else {
                return nil
            }
            try await transaction.insert(NodeEventRecord.revoked(nodeID: nodeID, reason: reason, at: now), into: "node_events")
            let unfinished = NodeTaskStatus.allCases.filter { !$0.isFinal }.map(\.rawValue)
            let open = try await transaction.fetchAll(DeliveryRecord.self, """
                SELECT * FROM deliveries WHERE nodeID = \(nodeID) AND status = ANY(\(unfinished)) ORDER BY id
                """)
            for var delivery in open {
                delivery.errorCode = ShoalError.Code.nodeRevoked.rawValue
                delivery.message = "the node was revoked"
                _ = try await move(transaction, &delivery, to: .cancelled, now: now)
            }
            try await Self.appendAudit(audit, in: transaction)
            return node
        }
    }

    /// The serial it replaces stays accepted until the node first uses the new one.
    public func replaceCertificate(nodeID: String, serial: String, expiresAt: Date, issuerCA: String, key: String, now: Date) async throws {
        try await write { transaction in
            let replaced = try await transaction.execute("""
                UPDATE nodes SET previousCertificateSerial = certificateSerial, certificateSerial = \(serial), certificateExpiresAt = \(expiresAt),
                    certificateCA = \(issuerCA), certificateKey = \(key)
                WHERE id = \(nodeID) RETURNING 1
                """)
            guard replaced == 1 else { return }
            try await transaction.insert(
                NodeEventRecord.certificateRenewed(nodeID: nodeID, serial: serial, expiresAt: expiresAt, at: now), into: "node_events"
            )
        }
    }

    public func recordCertificateKey(nodeID: String, serial: String, key: String) async throws {
        try await write { transaction in
            try await transaction.execute("""
                UPDATE nodes SET certificateKey = \(key) WHERE id = \(nodeID) AND certificateSerial = \(serial) AND certificateKey IS NULL
                """)
        }
    }

    public func confirmCertificate(nodeID: String, serial: String) async throws {
        try await write { transaction in
            try await transaction.execute("""
                UPDATE nodes SET previousCertificateSerial = NULL
                WHERE id = \(nodeID) AND certificateSerial = \(serial) AND previousCertificateSerial IS NOT NULL
                """)
        }
    }
}

/// Rows of the narrow node reads above, the status as stored text (checked by the caller).
private struct NodeSummaryRow: Decodable {
    var id: String
    var hostname: String
    var status: String
}

private struct StaleNode: Decodable {
    var id: String
    var lastHeartbeatAt: Date?
}
