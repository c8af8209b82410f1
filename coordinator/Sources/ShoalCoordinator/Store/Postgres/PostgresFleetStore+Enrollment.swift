import Foundation
import PostgresNIO
import ShoalCore

/// Join tokens and enrollment, as `SQLiteFleetStore`.
extension PostgresFleetStore {
    public func insertToken(_ token: JoinTokenRecord, audit: AuditEntry) async throws {
        try await write { transaction in
            try await transaction.insert(token, into: "join_tokens")
            try await Self.appendAudit(audit, in: transaction)
        }
    }

    public func token(hash: String) async throws -> JoinTokenRecord? {
        try await read { try await $0.fetchOne(JoinTokenRecord.self, "SELECT * FROM join_tokens WHERE tokenHash = \(hash)") }
    }

    /// `makeNode` builds the record only (the certificate is signed before): it may run once
    /// per attempt when a conflicting enrollment makes the transaction run again.
    public func enroll(tokenHash: String, now: Date, makeNode: @escaping @Sendable (JoinTokenRecord) throws -> NodeRecord) async throws -> NodeRecord {
        // Row locks: enrollments racing on one token wait on its row; the guarded UPDATE,
        // re-checked on the row as it is then, still decides.
        try await write(isolation: .rowLocks) { transaction in
            guard let token = try await transaction.fetchOne(JoinTokenRecord.self, "SELECT * FROM join_tokens WHERE tokenHash = \(tokenHash)") else {
                throw JoinTokenRecord.unknownTokenError
            }
            try token.checkUsable(now: now)
            // The guard in the WHERE clause makes the use count the arbiter, not this read.
            let counted = try await transaction.execute(
                "UPDATE join_tokens SET usesCount = usesCount + 1 WHERE id = \(token.id) AND usesCount < usesAllowed RETURNING 1"
            )
            guard counted == 1 else { throw token.usedUpError }
            let node = try makeNode(token)
            try await transaction.insert(node, into: "nodes")
            try await transaction.insert(NodeEventRecord.enrolled(node, token: token, at: now), into: "node_events")
            try await Self.appendAudit(.nodeEnrolled(node, token: token, at: now), in: transaction)
            return node
        }
    }
}
