import Foundation
import GRDB
import ShoalCore

extension SQLiteFleetStore {
    public func trustDocuments(after version: Int) async throws -> [TrustDocumentRecord] {
        try await pool.read { db in
            try TrustDocumentRecord.filter(Column("version") > version).order(Column("version")).fetchAll(db)
        }
    }

    public func latestTrustDocument() async throws -> TrustDocumentRecord? {
        try await pool.read { db in try TrustDocumentRecord.order(Column("version").desc).fetchOne(db) }
    }

    public func installTrustDocument(_ record: TrustDocumentRecord, audit: AuditEntry) async throws {
        try await pool.write { db in
            try record.checkNewer(than: try TrustDocumentRecord.order(Column("version").desc).fetchOne(db))
            try record.insert(db)
            try Self.appendAudit(audit, in: db)
        }
    }

    public func setLabels(nodeID: String, labelsJSON: String, version: Int, statementJSON: String?, audit: AuditEntry) async throws -> NodeRecord? {
        try await pool.write { db in
            guard var node = try NodeRecord.fetchOne(db, key: nodeID) else { return nil }
            try node.checkNextLabelsVersion(version)
            node.labelsJSON = labelsJSON
            node.labelsVersion = version
            node.labelStatementJSON = statementJSON
            try node.update(db)
            try Self.appendAudit(audit, in: db)
            return node
        }
    }
}

extension SQLiteFleetStore {
    /// For `coordinator init`, which runs before any server: stores the first document, and
    /// its audit entry in the same transaction.
    func installSynchronously(_ record: TrustDocumentRecord, audit: AuditEntry) throws {
        try pool.write { db in
            try record.insert(db)
            try Self.appendAudit(audit, in: db)
        }
    }
}
