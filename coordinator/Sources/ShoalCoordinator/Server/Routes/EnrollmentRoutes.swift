import Foundation
import Hummingbird
import Logging
import ShoalCore
import X509

/// Routes open without a client certificate: health, the CA (for fingerprint pinning) and
/// enrollment, which is authorised by the join token instead.
struct EnrollmentRoutes: Sendable {
    let fleet: Fleet
    /// Failed enrollments per source address: a stranger guessing tokens, or a broken
    /// cloud-init loop, is refused for a while instead of costing a signature each time.
    let failures: KeyedRateLimiter

    init(fleet: Fleet, limits: CoordinatorLimits.Resolved) {
        self.fleet = fleet
        self.failures = KeyedRateLimiter(capacity: limits.enrollFailuresPerMinute, perSecond: Double(limits.enrollFailuresPerMinute) / 60)
    }

    func add(to router: Router<CoordinatorRequestContext>) {
        router.get("/healthz") { _, _ in
            try JSONResponse.make(["status": "ok"])
        }
        router.get("/v1/ca") { _, _ in
            try JSONResponse.make(CAResponse(certificate: fleet.caPEM, fingerprint: try fleet.ca.certificate.fingerprint))
        }
        router.post("/v1/enroll") { request, context in
            let source = context.channel.remoteAddress?.ipAddress ?? "unknown"
            if let wait = failures.check(source) {
                throw ShoalError(.rateLimited, "too many failed enrollments from \(source); wait \(wait)s, and check the join token", retryAfterSeconds: wait)
            }
            do {
                let body = try await request.decodeJSON(EnrollRequest.self, limit: 64 * 1024)
                return try JSONResponse.make(try await enroll(body, from: context.channel.remoteAddress?.ipAddress, logger: context.logger), status: .created)
            } catch let error as ShoalError where error.code != .storage && error.code != .internalError {
                _ = failures.take(source)
                throw error
            }
        }
    }

    /// Checks everything that can be checked without the write lock — CSR, hostname, labels,
    /// the token — before signing a certificate; the store then consumes the token use and
    /// inserts the node in one transaction. Labels the node sends are kept as its *claimed*
    /// labels; only the token's select work.
    /// `address` (where the request came from) is recorded with the node for `unenroll`'s check.
    func enroll(_ body: EnrollRequest, from address: String?, logger: Logger) async throws -> EnrollResponse {
        let now = Date()
        let tokenHash = RandomID.hash(body.token)
        guard let token = try await fleet.store.token(hash: tokenHash) else { throw JoinTokenRecord.unknownTokenError }
        try token.checkUsable(now: now)
        let csr = try CertificateSigningRequest.parse(pem: body.csr)
        guard csr.publicKey.isValidSignature(csr.signature, for: csr) else {
            throw ShoalError(.csrInvalid, "the CSR's signature does not verify against its own public key")
        }
        try HostnameText.validate(body.hostname)
        let claimed = body.labels ?? [:]
        guard claimed.count <= 64 else { throw ShoalError(.invalidArgument, "at most 64 labels may be sent at enrollment, got \(claimed.count)") }
        for (key, value) in claimed { try LabelText.validate(key: key, value: value) }
        let nodeID = "n-" + RandomID.make(bytes: 6)
        let validity = TimeInterval(fleet.config.seconds(\.nodeCertificateValidity))
        let certificate = try fleet.ca.issueClientCertificate(csr: csr, identity: PeerIdentity(role: .node, name: nodeID), validity: validity, now: now)
        let node = try await fleet.store.enroll(tokenHash: tokenHash, now: now) { token in
            NodeRecord(
                id: nodeID, hostname: body.hostname, status: .ready,
                labelsJSON: token.labelsJSON, claimedLabelsJSON: try claimed.jsonText(), labelsVersion: 0, labelStatementJSON: nil,
                factsJSON: nil, metricsJSON: nil, enrolledAt: now, lastHeartbeatAt: nil,
                certificateSerial: certificate.serialHex, previousCertificateSerial: nil, certificateExpiresAt: certificate.notValidAfter,
                lastSequence: 0, tokenID: token.id, enrolledFrom: address, certificateCA: fleet.caFingerprint,
                certificateKey: certificate.publicKeyHash
            )
        }
        logger.info("node enrolled", metadata: ["node": "\(node.id)", "hostname": "\(node.hostname)"])
        return EnrollResponse(
            nodeID: node.id, certificate: try certificate.pemText, caCertificate: fleet.caPEM,
            bundleKeys: fleet.trustedBundleKeys, labels: node.labels,
            heartbeatIntervalSeconds: fleet.config.seconds(\.heartbeatInterval), trust: fleet.trust.current.map { current in
                fleet.keyUse.recordTrustServed([current.envelope])
                return current.envelope
            }
        )
    }
}
