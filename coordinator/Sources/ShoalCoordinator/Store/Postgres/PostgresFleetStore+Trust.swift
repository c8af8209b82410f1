import Foundation
import PostgresNIO
import ShoalCore

/// Trust documents and operator-signed labels, as `SQLiteFleetStore+Trust`.
extension PostgresFleetStore {
    public func trustDocuments(after version: Int) async throws -> [TrustDocumentRecord] {
        try await read { try await $0.fetchAll(TrustDocumentRecord.self, "SELECT * FROM trust_documents WHERE version > \(version) ORDER BY version") }
    }

    public func latestTrustDocument() async throws -> TrustDocumentRecord? {
        try await read { try await $0.fetchOne(TrustDocumentRecord.self, "SELECT * FROM trust_documents ORDER BY version DESC LIMIT 1") }
    }

    /// The INSERT is the arbiter: it adds the document only when nothing as new is stored, so
    /// two replicas installing at once cannot both succeed (a same-version race ends in the
    /// key conflict, a newer-and-older one in a serialization failure and a retry that sees
    /// the winner). The latest is read only to word the refusal.
    public func installTrustDocument(_ record: TrustDocumentRecord, audit: AuditEntry) async throws {
        try await write { transaction in
            let inserted = try await transaction.execute("""
                INSERT INTO trust_documents (version, envelopeJSON, installedAt)
                SELECT \(record.version), \(record.envelopeJSON), \(record.installedAt)
                WHERE NOT EXISTS (SELECT 1 FROM trust_documents WHERE version >= \(record.version))
                ON CONFLICT (version) DO NOTHING RETURNING 1
                """)
            guard inserted == 1 else {
                let latest = try await transaction.fetchOne(TrustDocumentRecord.self, "SELECT * FROM trust_documents ORDER BY version DESC LIMIT 1")
                try record.checkNewer(than: latest)
                throw ShoalError(.storage, "trust document v\(record.version) was not stored and no newer one is: try again")
            }
            try await Self.appendAudit(audit, in: transaction)
        }
    }

    /// Writes the label columns only; the version check runs in the transaction that writes.
    public func setLabels(nodeID: String, labelsJSON: String, version: Int, statementJSON: String?, audit: AuditEntry) async throws -> NodeRecord? {
        try await write { transaction in
            guard let current = try await transaction.fetchOne(NodeRecord.self, "SELECT * FROM nodes WHERE id = \(nodeID)") else { return nil }
            try current.checkNextLabelsVersion(version)
            let node = try await transaction.fetchOne(NodeRecord.self, """
                UPDATE nodes SET labelsJSON = \(labelsJSON), labelsVersion = \(version), labelStatementJSON = \(statementJSON)
                WHERE id = \(nodeID) RETURNING *
                """)
            try await Self.appendAudit(audit, in: transaction)
            return node
        }
    }
}
