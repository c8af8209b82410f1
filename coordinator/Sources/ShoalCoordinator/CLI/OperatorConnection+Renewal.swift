import Foundation
import ShoalCore
import X509

extension OperatorConnection {
    /// `coordinator operator renew`: asks the coordinator for a new certificate for this
    /// credential's name, role and key, checks it, and writes it over `certificateFile`.
    /// Returns the new certificate's expiry. Nothing is written unless every check passes.
    public func renew() async throws -> (identity: PeerIdentity, expiresAt: Date) {
        guard let current = try? Certificate(pemEncoded: certificatePEM), let identity = PeerIdentity(certificate: current) else {
            throw ShoalError(.configInvalid, "\(certificateFile) is not a Shoal operator certificate")
        }
        let key = try NodeKey(pem: keyPEM)
        guard key.matches(certificatePEM: certificatePEM) else {
            throw ShoalError(.configInvalid, "\(keyFile) is not the key of \(certificateFile)")
        }
        let request = OperatorRenewRequest(csr: try key.certificateSigningRequestPEM(commonName: identity.name))
        let client = try client()
        let response: OperatorCreateResponse
        do {
            response = try await client.post("/v1/operators/renew", body: request, as: OperatorCreateResponse.self)
            await client.shutdown()
        } catch {
            await client.shutdown()
            throw error
        }
        guard key.matches(certificatePEM: response.certificate),
              CertificateChecks.isIssued(certificatePEM: response.certificate, byCA: caPEM),
              let renewed = try? Certificate(pemEncoded: response.certificate), PeerIdentity(certificate: renewed) == identity
        else {
            throw ShoalError(.internalError, "the coordinator answered with a certificate that is not for \(identity.description)'s key from the fleet CA; \(certificateFile) is unchanged")
        }
        try SecureFile.write(response.certificate, to: certificateFile, mode: 0o644)
        return (identity, renewed.notValidAfter)
    }
}
