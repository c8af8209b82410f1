import Foundation
import PostgresNIO
import ShoalCore

extension PostgresFleetStore {
    /// The entry only when the row is new: a serial recorded before (two first uses of an
    /// unrecorded certificate racing) changes nothing, so it records nothing. A renewal
    /// re-checks its predecessor here, in the write (`OperatorCredentialRecord.revokedWhileRenewing`).
    public func recordOperatorCredential(_ record: OperatorCredentialRecord, audit: AuditEntry?) async throws {
        try await write { transaction in
            if let previous = record.renewalOf, try await Self.operatorCredential(transaction, serial: previous)?.revokedAt != nil {
                throw OperatorCredentialRecord.revokedWhileRenewing(previous)
            }
            var insert = try PostgresTransaction.insertQuery(record, into: "operator_credentials", returning: nil)
            insert.sql += " ON CONFLICT (serial) DO NOTHING RETURNING 1"
            let inserted = try await transaction.execute(insert) > 0
            if let audit, inserted { try await Self.appendAudit(audit, in: transaction) }
        }
    }

    public func operatorCredential(serial: String) async throws -> OperatorCredentialRecord? {
        try await read { try await Self.operatorCredential($0, serial: serial) }
    }

    public func operatorCredentials() async throws -> [OperatorCredentialRecord] {
        try await read { transaction in
            // Names sort byte by byte, as SQLite sorts them, whatever the database's collation.
            try await transaction.fetchAll(
                OperatorCredentialRecord.self, "SELECT * FROM operator_credentials ORDER BY name COLLATE \"C\", issuedAt, serial COLLATE \"C\""
            )
        }
    }

    /// SERIALIZABLE keeps the last-admin guard across replicas: two revocations of the last
    /// two admins, each counting the other's as active, cannot both commit.
    public func revokeOperatorCredentials(
        name: String?, serial: String?, by: String, now: Date, audit: @escaping @Sendable ([OperatorCredentialRecord]) -> AuditEntry
    ) async throws -> [OperatorCredentialRecord] {
        try await write { transaction in
            let matching: [OperatorCredentialRecord]
            if let serial {
                matching = try await Self.operatorCredential(transaction, serial: serial).map { [$0] } ?? []
            } else if let name {
                matching = try await transaction.fetchAll(
                    OperatorCredentialRecord.self, "SELECT * FROM operator_credentials WHERE name = \(name) ORDER BY issuedAt, serial"
                )
            } else {
                throw OperatorCredentialRecord.noRevocationTarget
            }
            guard !matching.isEmpty else { throw OperatorCredentialRecord.notRecorded(name: name, serial: serial) }
            let revoked = OperatorCredentialRecord.revoking(matching, by: by, now: now)
            for record in revoked { try await transaction.update(record, in: "operator_credentials", key: ["serial"]) }
            if OperatorCredentialRecord.mayLeaveNoAdmin(revoked, now: now) {
                let admins = try await transaction.scalar(Int64.self, """
                    SELECT count(*) FROM operator_credentials
                    WHERE role = \(PeerIdentity.Role.admin.rawValue) AND revokedAt IS NULL AND expiresAt > \(now)
                    """) ?? 0
                guard admins > 0 else { throw OperatorCredentialRecord.lastActiveAdmin }
            }
            if !revoked.isEmpty { try await Self.appendAudit(audit(revoked), in: transaction) }
            return revoked
        }
    }

    static func operatorCredential(_ transaction: PostgresTransaction, serial: String) async throws -> OperatorCredentialRecord? {
        try await transaction.fetchOne(OperatorCredentialRecord.self, "SELECT * FROM operator_credentials WHERE serial = \(serial)")
    }
}
