import Foundation
import ShoalCore
import X509

extension OperatorConnection {
    /// What a renewal gave: who, until when, and the certificate now in `certificateFile`.
    public struct Renewal: Sendable {
        public var identity: PeerIdentity
        public var expiresAt: Date
        public var certificatePEM: String
        /// The fleet CA rotated: the certificate is from the coordinator's new CA, which now
        /// is in `caFile`.
        public var movedToCA: String?
    }

    /// `coordinator operator renew`: asks the coordinator for a new certificate for this
    /// credential's name, role and key, checks it, and writes it over `certificateFile`.
    /// Nothing is written unless every check passes.
    /// `mayMoveCA`: only `operator renew` itself may take a new fleet CA into `ca_file`; the
    /// silent renewal before other commands never changes what the CLI trusts.
    public func renew(mayMoveCA: Bool = true) async throws -> Renewal {
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
        // After a CA rotation the certificate comes from the coordinator's new CA. The answer
        // names it, over TLS that verified the coordinator against the CA held here (through
        // the cross certificate), so it is taken as the fleet's CA from now on.
        let fromHeldCA = CertificateChecks.isIssued(certificatePEM: response.certificate, byCA: caPEM)
        let offered = (try? CertificateChecks.fingerprints(pem: response.caCertificate)) ?? []
        let fromNewCA = !fromHeldCA && mayMoveCA && caFile != nil && offered.count == 1
            && CertificateChecks.isIssued(certificatePEM: response.certificate, byCA: response.caCertificate)
        guard key.matches(certificatePEM: response.certificate), fromHeldCA || fromNewCA,
              let renewed = try? Certificate(pemEncoded: response.certificate), PeerIdentity(certificate: renewed) == identity
        else {
            throw ShoalError(.internalError, "the coordinator answered with a certificate that is not for \(identity.description)'s key from the fleet CA; \(certificateFile) is unchanged")
        }
        try SecureFile.write(response.certificate, to: certificateFile, mode: 0o644)
        var moved: String?
        if fromNewCA, let caFile {
            try SecureFile.write(response.caCertificate, to: caFile, mode: 0o644)
            moved = try CertificateChecks.fingerprint(pem: response.caCertificate)
        }
        return Renewal(identity: identity, expiresAt: renewed.notValidAfter, certificatePEM: response.certificate, movedToCA: moved)
    }

    /// When the CLI renews by itself: in the last third of the certificate's life, as agents
    /// renew node certificates. `nil` for a certificate it cannot read.
    public var renewalDue: Date? {
        guard let certificate = try? Certificate(pemEncoded: certificatePEM) else { return nil }
        let lifetime = certificate.notValidAfter.timeIntervalSince(certificate.notValidBefore)
        return certificate.notValidAfter.addingTimeInterval(-lifetime / 3)
    }

    /// Every CLI command that talks to the coordinator calls this first: a certificate in the
    /// last third of its life (and not yet expired) is renewed, so a credential in regular use
    /// never runs out. A renewal that cannot happen — the certificate file is not writable, or
    /// the coordinator refuses — is reported through `note` and the command goes on with the
    /// current certificate; `operator renew` shows the error itself.
    public func renewedIfDue(now: Date = Date(), note: (String) -> Void) async -> OperatorConnection {
        guard let due = renewalDue, now >= due,
              let expiry = CertificateChecks.expiry(pem: certificatePEM), expiry > now
        else { return self }
        let directory = (certificateFile as NSString).deletingLastPathComponent
        guard FileManager.default.isWritableFile(atPath: directory.isEmpty ? "." : directory) else {
            note("your operator certificate \(certificateFile) expires at \(Timestamp.format(expiry)) and its folder is not writable here; renew it where it is ('coordinator operator renew')")
            return self
        }
        do {
            let renewal = try await renew(mayMoveCA: false)
            note("renewed \(renewal.identity.description)'s operator certificate (it would have expired at \(Timestamp.format(expiry))): \(certificateFile) now valid until \(Timestamp.format(renewal.expiresAt))")
            var renewed = self
            renewed.certificatePEM = renewal.certificatePEM
            return renewed
        } catch {
            let reason = (error as? ShoalError).map { "\($0.code.rawValue): \($0.message)" } ?? "\(error)"
            note("could not renew your operator certificate \(certificateFile) (expires \(Timestamp.format(expiry))): \(reason); going on with it")
            return self
        }
    }
}
