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
            throw OperatorCredentialRecord.revokedWhileRenewing(previous)
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
                throw OperatorCredentialRecord.noRevocationTarget
            }
            guard !matching.isEmpty else { throw OperatorCredentialRecord.notRecorded(name: name, serial: serial) }
            let revoked = OperatorCredentialRecord.revoking(matching, by: by, now: now)
            for record in revoked { try record.update(db) }
            if OperatorCredentialRecord.mayLeaveNoAdmin(revoked, now: now) {
                let admins = try OperatorCredentialRecord
                    .filter(Column("role") == PeerIdentity.Role.admin.rawValue && Column("revokedAt") == nil && Column("expiresAt") > now)
                    .fetchCount(db)
                guard admins > 0 else { throw OperatorCredentialRecord.lastActiveAdmin }
            }
            if !revoked.isEmpty { try Self.appendAudit(audit(revoked), in: db) }
            return revoked
        }
    }
}
