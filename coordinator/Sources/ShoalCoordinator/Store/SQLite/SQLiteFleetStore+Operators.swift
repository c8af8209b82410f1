import Foundation
import GRDB
import ShoalCore

extension SQLiteFleetStore {
    public func recordOperatorCredential(_ record: OperatorCredentialRecord, audit: AuditEntry?) async throws {
        try await pool.write { db in try Self.record(record, audit: audit, in: db) }
    }

    /// `coordinator init`: records the admin credential it made, with its audit entry, before
    /// any server runs (init is synchronous).
    public func recordInitialCredential(_ record: OperatorCredentialRecord, audit: AuditEntry) throws {
        try pool.write { db in try Self.record(record, audit: audit, in: db) }
    }

    /// The entry only when the row is new: a serial recorded before (two first uses of an
    /// unrecorded certificate racing) changes nothing, so it records nothing.
    /// A renewal re-checks its predecessor here, in the write: a revoke that lands between the
    /// request's credential check and this insert must not leave a fresh, unrevoked successor.
    private static func record(_ record: OperatorCredentialRecord, audit: AuditEntry?, in db: Database) throws {
        if let previous = record.renewalOf, try OperatorCredentialRecord.fetchOne(db, key: previous)?.revokedAt != nil {
            throw ShoalError(.certificateRevoked, "operator credential \(previous) was revoked while it was being renewed; ask an admin for a new one ('coordinator operator create')")
        }
        try record.insert(db, onConflict: .ignore)
        if let audit, db.changesCount > 0 { try appendAudit(audit, in: db) }
    }

    public func operatorCredential(serial: String) async throws -> OperatorCredentialRecord? {
        try await pool.read { db in try OperatorCredentialRecord.fetchOne(db, key: serial) }
    }

    public func operatorCredentials() async throws -> [OperatorCredentialRecord] {
        try await pool.read { db in
            try OperatorCredentialRecord.order(Column("name"), Column("issuedAt"), Column("serial")).fetchAll(db)
        }
    }

    public func revokeOperatorCredentials(
        name: String?, serial: String?, by: String, now: Date, audit: @escaping @Sendable ([OperatorCredentialRecord]) -> AuditEntry
    ) async throws -> [OperatorCredentialRecord] {
        try await pool.write { db in
            let matching: [OperatorCredentialRecord]
            if let serial {
                matching = try OperatorCredentialRecord.fetchOne(db, key: serial).map { [$0] } ?? []
            } else if let name {
                matching = try OperatorCredentialRecord.filter(Column("name") == name).fetchAll(db)
            } else {
                throw ShoalError(.invalidArgument, "say which credential to revoke: a name or a serial")
            }
            guard !matching.isEmpty else {
                let what = serial.map { "serial \($0)" } ?? "name '\(name ?? "")'"
                throw ShoalError(.notFound, "no operator credential with \(what) is recorded; 'coordinator operator list' shows them (a certificate issued before credentials were recorded appears there once it has been used)")
            }
            var revoked: [OperatorCredentialRecord] = []
            for var record in matching where record.revokedAt == nil {
                record.revokedAt = now
                record.revokedBy = by
                try record.update(db)
                revoked.append(record)
            }
            // The fleet must keep someone who can issue and revoke credentials.
            if revoked.contains(where: { $0.role == .admin && $0.expiresAt > now }) {
                let admins = try OperatorCredentialRecord
                    .filter(Column("role") == PeerIdentity.Role.admin.rawValue && Column("revokedAt") == nil && Column("expiresAt") > now)
                    .fetchCount(db)
                guard admins > 0 else {
                    throw ShoalError(.conflict, "revoking this would leave the fleet with no active admin credential; issue another admin first ('coordinator operator create NAME --role admin --out DIR'), then revoke this one")
                }
            }
            if !revoked.isEmpty { try Self.appendAudit(audit(revoked), in: db) }
            return revoked
        }
    }
}
