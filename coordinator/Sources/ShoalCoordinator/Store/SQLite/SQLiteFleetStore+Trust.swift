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

    public func installTrustDocument(_ record: TrustDocumentRecord, audit: AuditRecord?) async throws {
        try await pool.write { db in
            if let latest = try TrustDocumentRecord.order(Column("version").desc).fetchOne(db), latest.version >= record.version {
                throw ShoalError(.trustRollback, "the fleet already has trust document v\(latest.version); v\(record.version) is not newer")
            }
            try record.insert(db)
            if var audit { try audit.insert(db) }
        }
    }

    public func setLabels(nodeID: String, labelsJSON: String, version: Int, statementJSON: String?) async throws -> NodeRecord? {
        try await pool.write { db in
            guard var node = try NodeRecord.fetchOne(db, key: nodeID) else { return nil }
            guard version == node.labelsVersion + 1 else {
                throw ShoalError(.labelsRefused, "node \(nodeID) is at label version \(node.labelsVersion); a change must be version \(node.labelsVersion + 1) (someone changed its labels meanwhile: read them again)")
            }
            node.labelsJSON = labelsJSON
            node.labelsVersion = version
            node.labelStatementJSON = statementJSON
            try node.update(db)
            return node
        }
    }
}

extension SQLiteFleetStore {
    /// For `coordinator init`, which runs before any server: stores the first document.
    func installSynchronously(_ record: TrustDocumentRecord) throws {
        try pool.write { db in try record.insert(db) }
    }
}
