import Foundation
import Hummingbird
import ShoalCore
import X509

/// `/v1/operators`: operator credentials (TLS client certificates). An admin issues, lists
/// and revokes them; every holder renews their own. Every issue, renewal and revocation is
/// recorded in `operator_credentials` (what `PeerIdentityMiddleware` checks) and audited.
struct OperatorCredentialRoutes: Sendable {
    let fleet: Fleet

    func add(to router: Router<CoordinatorRequestContext>) {
        let admin = router.group("/v1/operators").add(middleware: RequireOperatorMiddleware(roles: [.admin]))
        let holder = router.group("/v1/operators").add(middleware: RequireOperatorMiddleware(roles: [.admin, .operator, .viewer]))

        admin.post { request, context in
            let body = try await request.decodeJSON(OperatorCreateRequest.self, limit: 64 * 1024)
            let peer = try context.requirePeer()
            guard body.role.isOperator else {
                throw ShoalError(.invalidArgument, "role must be admin, operator or viewer; nodes get certificates by enrolling")
            }
            try LabelText.validateKeySyntax(body.name, what: "operator name")
            let days = OperatorCreateRequest.validityDays
            guard days.contains(body.validityDays) else {
                throw ShoalError(.invalidArgument, "validity must be \(days.lowerBound) to \(days.upperBound) days, got \(body.validityDays); the holder renews before it ends ('coordinator operator renew')")
            }
            let csr = try CertificateSigningRequest.parse(pem: body.csr)
            let identity = PeerIdentity(role: body.role, name: body.name)
            let now = Date()
            let certificate = try fleet.ca.issueClientCertificate(csr: csr, identity: identity, validity: TimeInterval(body.validityDays * 86400), now: now)
            try await fleet.store.recordOperatorCredential(OperatorCredentialRecord(certificate: certificate, identity: identity, issuedAt: now, issuedBy: peer.description))
            try await fleet.store.audit(AuditRecord(at: now, actor: peer.description, action: "operator.create", detail: "\(body.role.rawValue) \(body.name), serial \(certificate.serialHex), \(body.validityDays) days"))
            return try JSONResponse.make(
                OperatorCreateResponse(certificate: try certificate.pemText, caCertificate: fleet.caPEM, url: fleet.config.advertiseURL),
                status: .created
            )
        }
        admin.get { _, _ in
            let now = Date()
            return try JSONResponse.make(OperatorListResponse(operators: try await fleet.store.operatorCredentials().map { $0.view(at: now) }))
        }
        admin.post("revoke") { request, context in
            let body = try await request.decodeJSON(OperatorRevokeRequest.self, limit: 64 * 1024)
            let peer = try context.requirePeer()
            let name = body.name.flatMap { $0.isEmpty ? nil : $0 }
            let serial = body.serial.map(Self.normalise).flatMap { $0.isEmpty ? nil : $0 }
            guard (name == nil) != (serial == nil) else {
                throw ShoalError(.invalidArgument, "give either a name (revokes every certificate issued under it) or a serial (revokes that one), not both")
            }
            let now = Date()
            let revoked = try await fleet.store.revokeOperatorCredentials(name: name, serial: serial, by: peer.description, now: now)
            if !revoked.isEmpty {
                try await fleet.store.audit(AuditRecord(at: now, actor: peer.description, action: "operator.revoke", detail: revoked.map { "\($0.role.rawValue) \($0.name), serial \($0.serial)" }.joined(separator: "; ")))
            }
            // The signing key in the trust document is a separate grant that only the root can take back.
            let names = Set((revoked.isEmpty ? [name].compactMap { $0 } : revoked.map(\.name)))
            let granted = Set(fleet.trust.current?.document.operators.map(\.name) ?? [])
            return try JSONResponse.make(OperatorRevokeResponse(
                revoked: revoked.map { $0.view(at: now) }, signingKeyStillTrusted: names.intersection(granted).sorted()
            ))
        }
        holder.post("renew") { request, context in
            try await renew(request, context: context)
        }
    }

    /// `POST /v1/operators/renew`: a new certificate for the caller's own name and role, for
    /// the same key, as long-lived as the one it renews (at most 365 days). The current
    /// certificate stays valid until it expires or is revoked.
    func renew(_ request: Request, context: CoordinatorRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(OperatorRenewRequest.self, limit: 64 * 1024)
        let peer = try context.requirePeer()
        guard let currentKey = context.peerPublicKey, let currentSerial = context.peerSerial else {
            throw ShoalError(.clientCertificateRequired, "renewal needs the credential's current certificate (mutual TLS)")
        }
        let csr = try CertificateSigningRequest.parse(pem: body.csr)
        guard csr.publicKey == currentKey else {
            throw ShoalError(.csrInvalid, "a renewal keeps the key: the CSR must be for the key of the certificate this request came with; for a new key, ask an admin for a new credential ('coordinator operator create')")
        }
        // PeerIdentityMiddleware recorded the current certificate if it was not recorded yet.
        let current = try await fleet.store.operatorCredential(serial: currentSerial)
        let lifetime = current.map { $0.expiresAt.timeIntervalSince($0.issuedAt) } ?? TimeInterval(OperatorCreateRequest.defaultValidityDays * 86400)
        let days = OperatorCreateRequest.validityDays
        let validity = min(max(lifetime, TimeInterval(days.lowerBound * 86400)), TimeInterval(days.upperBound * 86400))
        let now = Date()
        let certificate = try fleet.ca.issueClientCertificate(csr: csr, identity: peer, validity: validity, now: now)
        try await fleet.store.recordOperatorCredential(OperatorCredentialRecord(certificate: certificate, identity: peer, issuedAt: now, issuedBy: peer.description, renewalOf: currentSerial))
        try await fleet.store.audit(AuditRecord(at: now, actor: peer.description, action: "operator.renew", detail: "\(peer.description), serial \(currentSerial) renewed as \(certificate.serialHex), until \(Timestamp.format(certificate.notValidAfter))"))
        return try JSONResponse.make(
            OperatorCreateResponse(certificate: try certificate.pemText, caCertificate: fleet.caPEM, url: fleet.config.advertiseURL),
            status: .created
        )
    }

    /// Serials as typed (`AB:CD…`, any case) in the form the store keeps them.
    static func normalise(_ serial: String) -> String {
        serial.lowercased().filter { $0 != ":" && !$0.isWhitespace }
    }
}
