import Foundation
import ShoalCore

/// The rules of recording and revoking operator credentials, written once for every backend;
/// the backends only find the rows and write them.
extension OperatorCredentialRecord {
    /// A renewal whose predecessor was revoked between the request's credential check and the
    /// write: no fresh, unrevoked successor may come of it.
    static func revokedWhileRenewing(_ previous: String) -> ShoalError {
        ShoalError(.certificateRevoked, "operator credential \(previous) was revoked while it was being renewed; ask an admin for a new one ('coordinator operator create')")
    }

    static let noRevocationTarget = ShoalError(.invalidArgument, "say which credential to revoke: a name or a serial")

    static func notRecorded(name: String?, serial: String?) -> ShoalError {
        let what = serial.map { "serial \($0)" } ?? "name '\(name ?? "")'"
        return ShoalError(.notFound, "no operator credential with \(what) is recorded; 'coordinator operator list' shows them (a certificate issued before credentials were recorded appears there once it has been used)")
    }

    static let lastActiveAdmin = ShoalError(.conflict, "revoking this would leave the fleet with no active admin credential; issue another admin first ('coordinator operator create NAME --role admin --out DIR'), then revoke this one")

    /// The records among `matching` not revoked yet, revoked now by `by`: what the backend
    /// writes back (an earlier revocation's time and author are kept).
    static func revoking(_ matching: [OperatorCredentialRecord], by: String, now: Date) -> [OperatorCredentialRecord] {
        matching.filter { $0.revokedAt == nil }.map { record in
            var record = record
            record.revokedAt = now
            record.revokedBy = by
            return record
        }
    }

    /// Whether revoking `revoked` may have taken the fleet's last active admin: the backend
    /// then counts the active admins left, and refuses with `lastActiveAdmin` if none is.
    /// (The fleet must keep someone who can issue and revoke credentials.)
    static func mayLeaveNoAdmin(_ revoked: [OperatorCredentialRecord], now: Date) -> Bool {
        revoked.contains { $0.role == .admin && $0.expiresAt > now }
    }
}
