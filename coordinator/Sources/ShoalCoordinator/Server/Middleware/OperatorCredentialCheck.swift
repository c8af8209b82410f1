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
    /// The CA that issues now. During a CA rotation the previous CA's certificates are still
    /// accepted, but only those the store knows: its key may be in the wrong hands (the
    /// reason to rotate), and a certificate it signed now must not become an operator.
    let currentCA: DistinguishedName
    /// `issuedBy` of a credential recorded at its first use.
    static let unrecordedIssuer = "unknown (issued before credentials were recorded)"

    func check(_ certificate: Certificate, identity: PeerIdentity) async throws {
        let serial = certificate.serialHex
        guard let record = try await store.operatorCredential(serial: serial) else {
            guard certificate.issuer == currentCA else {
                throw ShoalError(.forbidden, "operator certificate \(serial) is from the previous fleet CA and was never seen before; the CA is rotating, so only known credentials of the old CA are accepted — ask an admin for a new one ('coordinator operator create')")
            }
            let issued = certificate.notValidBefore.addingTimeInterval(CertificateAuthority.backdate)
            let seen = OperatorCredentialRecord(
                certificate: certificate, identity: identity, issuedAt: issued,
                issuedBy: Self.unrecordedIssuer
            )
            // Not audited: nobody issued anything now; the entry of its issue, if any, is in the
            // frozen log from before the chain.
            try await store.recordOperatorCredential(seen, audit: nil)
            return
        }
        if certificate.issuer != currentCA, record.publicKeyHash != certificate.publicKeyHash {
            throw ShoalError(.forbidden, "operator certificate \(serial) is from the previous fleet CA but not for the key on record; the CA is rotating — renew with your own credential ('coordinator operator renew') or ask an admin for a new one")
        }
        if let revokedAt = record.revokedAt {
            throw ShoalError(.certificateRevoked, "the credential of \(identity.description) (serial \(serial)) was revoked at \(Timestamp.format(revokedAt)) by \(record.revokedBy ?? "an admin"); ask an admin for a new one ('coordinator operator create')")
        }
    }
}
