import Foundation
import GRDB
import ShoalCore

/// The default store: one SQLite file in WAL mode through GRDB. Writes are serialized by
/// GRDB's writer; each store method is one transaction.
public final class SQLiteFleetStore: FleetStore {
    let pool: TimedDatabasePool
    /// Hears every committed change of a task (see `taskChanged`).
    public let taskChanges: TaskChangeFeed

    /// `timer` hears how long each transaction took (the coordinator's metrics); nil: nobody.
    public init(path: String, timer: (any StoreOperationTimer)? = nil, taskChanges: TaskChangeFeed = TaskChangeFeed()) throws {
        self.taskChanges = taskChanges
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        do {
            let database = try DatabasePool(path: path, configuration: configuration)
            try SQLiteMigrations.migrator.migrate(database)
            pool = TimedDatabasePool(database: database, timer: timer)
        } catch {
            throw ShoalError(.storage, "cannot open the fleet database \(path): \(error)")
        }
    }

    // MARK: Tokens and enrollment

    public func insertToken(_ token: JoinTokenRecord, audit: AuditEntry) async throws {
        try await pool.write { db in
            try token.insert(db)
            try Self.appendAudit(audit, in: db)
        }
    }

    public func token(hash: String) async throws -> JoinTokenRecord? {
        try await pool.read { db in try JoinTokenRecord.filter(Column("tokenHash") == hash).fetchOne(db) }
    }

    public func enroll(tokenHash: String, now: Date, makeNode: @escaping @Sendable (JoinTokenRecord) throws -> NodeRecord) async throws -> NodeRecord {
        try await pool.write { db in
            guard let token = try JoinTokenRecord.filter(Column("tokenHash") == tokenHash).fetchOne(db) else {
                throw JoinTokenRecord.unknownTokenError
            }
            try token.checkUsable(now: now)
            // The guard in the WHERE clause makes the use count the arbiter, not this read.
            try db.execute(
                sql: "UPDATE join_tokens SET usesCount = usesCount + 1 WHERE id = ? AND usesCount < usesAllowed",
                arguments: [token.id]
            )
            guard db.changesCount == 1 else { throw token.usedUpError }
            let node = try makeNode(token)
            try node.insert(db)
            var event = NodeEventRecord.enrolled(node, token: token, at: now)
            try event.insert(db)
            try Self.appendAudit(.nodeEnrolled(node, token: token, at: now), in: db)
            return node
        }
    }

    // MARK: Nodes

    /// Read on every agent request: a statement prepared once per connection, since preparing
    /// one (and GRDB's authorizer pass over it) cost more than running it in profiles.
    public func node(id: String) async throws -> NodeRecord? {
        try await pool.read { db in try Self.fetchNode(db, id: id) }
    }

    static func fetchNode(_ db: Database, id: String) throws -> NodeRecord? {
        try NodeRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM nodes WHERE id = ?"), arguments: [id])
    }

    public func nodes() async throws -> [NodeRecord] {
        try await pool.read { db in try NodeRecord.order(Column("hostname"), Column("id")).fetchAll(db) }
    }

    /// The narrow read every agent request makes (`RequireNodeMiddleware`): a statement of its
    /// own, prepared once per connection, that leaves the facts and metrics columns unread.
    public func nodeCredential(id: String) async throws -> NodeCredential? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT status, certificateSerial, previousCertificateSerial, certificateKey FROM nodes WHERE id = ?"), arguments: [id]
            ) else { return nil }
            return NodeCredential(status: try NodeRecord.Status(stored: row[0], nodeID: id), certificateSerial: row[1], previousCertificateSerial: row[2], certificateKey: row[3])
        }
    }

    /// Writes only the columns a heartbeat changes (the facts, the largest, only when the node
    /// sent new ones) and reads, in the same transaction, only what the answer needs.
    public func recordHeartbeat(
        nodeID: String, at: Date, metricsJSON: String, factsJSON: String?, point: MetricPoint?, labelsVersionHeld: Int, coordinatorURL: String?
    ) async throws -> HeartbeatOutcome? {
        try await pool.write { db in
            guard let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT status, labelsVersion, CASE WHEN labelsVersion > ? THEN labelStatementJSON END FROM nodes WHERE id = ?"),
                arguments: [labelsVersionHeld, nodeID]
            ) else { return nil }
            var status = try NodeRecord.Status(stored: row[0], nodeID: nodeID)
            if status == .down {
                var event = NodeEventRecord.backReady(nodeID: nodeID, at: at)
                try event.insert(db)
            }
            if status != .revoked { status = .ready }
            // A prepared statement of its own, not the record's generated UPDATE of every column.
            try db.cachedStatement(sql: """
                UPDATE nodes SET status = ?, lastHeartbeatAt = ?, metricsJSON = ?, factsJSON = COALESCE(?, factsJSON),
                    coordinatorURL = COALESCE(?, coordinatorURL) WHERE id = ?
                """).execute(arguments: [status.rawValue, at, metricsJSON, factsJSON, coordinatorURL, nodeID])
            if let point { try Self.recordMetricPoint(db, nodeID: nodeID, point: point) }
            let statement = (row[2] as String?).flatMap { try? WireCoding.decode(DSSEEnvelope.self, from: Data($0.utf8)) }
            return HeartbeatOutcome(
                status: status, labelsVersion: row[1], labelStatement: statement, cancellations: try Self.cancellationsRequested(db, nodeID: nodeID)
            )
        }
    }

    public func markDown(lastHeartbeatBefore cutoff: Date, now: Date) async throws -> [String] {
        try await pool.write { db in
            // Two index range reads (nodes_by_status_heartbeat), not one OR that SQLite would
            // answer by walking every ready node.
            let ready = Column("status") == NodeRecord.Status.ready.rawValue
            let stale = try NodeRecord.filter(ready && Column("lastHeartbeatAt") < cutoff).fetchAll(db)
                + NodeRecord.filter(ready && Column("lastHeartbeatAt") == nil && Column("enrolledAt") < cutoff).fetchAll(db)
            for var node in stale {
                node.status = .down
                try node.update(db)
                var event = NodeEventRecord.down(nodeID: node.id, lastHeartbeatAt: node.lastHeartbeatAt, at: now)
                try event.insert(db)
            }
            return stale.map(\.id)
        }
    }

    public func oldestReadyHeartbeat() async throws -> Date? {
        try await pool.read { db in
            // Two index range reads (nodes_by_status_heartbeat); NULLs sort first.
            let beat = try Date.fetchOne(db, sql: "SELECT MIN(lastHeartbeatAt) FROM nodes WHERE status = 'ready' AND lastHeartbeatAt IS NOT NULL")
            let silent = try Date.fetchOne(db, sql: "SELECT MIN(enrolledAt) FROM nodes WHERE status = 'ready' AND lastHeartbeatAt IS NULL")
            return [beat, silent].compactMap { $0 }.min()
        }
    }

    public func events(nodeID: String) async throws -> [NodeEventRecord] {
        try await pool.read { db in
            try NodeEventRecord.filter(Column("nodeID") == nodeID).order(Column("id")).fetchAll(db)
        }
    }

    public func revoke(nodeID: String, reason: String, now: Date, audit: AuditEntry) async throws -> NodeRecord? {
        try await pool.write { db in
            guard var node = try NodeRecord.fetchOne(db, key: nodeID) else { return nil }
            node.status = .revoked
            try node.update(db)
            var event = NodeEventRecord.revoked(nodeID: nodeID, reason: reason, at: now)
            try event.insert(db)
            let open = try DeliveryRecord.filter(Column("nodeID") == nodeID)
                .filter([NodeTaskStatus.pending, .queued, .sent, .running, .retryWait].map(\.rawValue).contains(Column("status")))
                .fetchAll(db)
            for var delivery in open {
                delivery.errorCode = ShoalError.Code.nodeRevoked.rawValue
                delivery.message = "the node was revoked"
                _ = try self.move(db, &delivery, to: .cancelled, now: now)
            }
            try Self.appendAudit(audit, in: db)
            return node
        }
    }

    public func replaceCertificate(nodeID: String, serial: String, expiresAt: Date, issuerCA: String, key: String, now: Date) async throws {
        try await pool.write { db in
            guard var node = try NodeRecord.fetchOne(db, key: nodeID) else { return }
            node.previousCertificateSerial = node.certificateSerial
            node.certificateSerial = serial
            node.certificateExpiresAt = expiresAt
            node.certificateCA = issuerCA
            node.certificateKey = key
            try node.update(db)
            var event = NodeEventRecord.certificateRenewed(nodeID: nodeID, serial: serial, expiresAt: expiresAt, at: now)
            try event.insert(db)
        }
    }

    public func recordCertificateKey(nodeID: String, serial: String, key: String) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE nodes SET certificateKey = ? WHERE id = ? AND certificateSerial = ? AND certificateKey IS NULL",
                arguments: [key, nodeID, serial]
            )
        }
    }

    public func confirmCertificate(nodeID: String, serial: String) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE nodes SET previousCertificateSerial = NULL WHERE id = ? AND certificateSerial = ? AND previousCertificateSerial IS NOT NULL",
                arguments: [nodeID, serial]
            )
        }
    }
}
