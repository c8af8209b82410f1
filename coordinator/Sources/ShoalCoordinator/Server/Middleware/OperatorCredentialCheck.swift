import Foundation
import ShoalCore
import X509

/// The per-request check of an operator certificate against the store, which is the truth
/// about revocation: one primary-key read, so a revocation is refused from the very next
/// request, also on a connection kept alive from before it. A certificate the store has no
/// record of was issued before credentials were recorded; it is accepted and recorded now, so
/// that `operator list` shows it and `operator revoke` can reach it.
struct OperatorCredentialCheck: Sendable {
    let store: any FleetStore
    /// `issuedBy` of a credential recorded at its first use.
    static let unrecordedIssuer = "unknown (issued before credentials were recorded)"

    func check(_ certificate: Certificate, identity: PeerIdentity) async throws {
        let serial = certificate.serialHex
        guard let record = try await store.operatorCredential(serial: serial) else {
            let issued = certificate.notValidBefore.addingTimeInterval(CertificateAuthority.backdate)
            let seen = OperatorCredentialRecord(
                certificate: certificate, identity: identity, issuedAt: issued,
                issuedBy: Self.unrecordedIssuer
            )
            try await store.recordOperatorCredential(seen)
            return
        }
        if let revokedAt = record.revokedAt {
            throw ShoalError(.certificateRevoked, "the credential of \(identity.description) (serial \(serial)) was revoked at \(Timestamp.format(revokedAt)) by \(record.revokedBy ?? "an admin"); ask an admin for a new one ('coordinator operator create')")
        }
    }
}
