import Foundation
import Hummingbird
import Logging
import ShoalCore
import X509

/// Routes open without a client certificate: health, the CA (for fingerprint pinning) and
/// enrollment, which is authorised by the join token instead.
struct EnrollmentRoutes: Sendable {
    let fleet: Fleet

    func add(to router: Router<CoordinatorRequestContext>) {
        router.get("/healthz") { _, _ in
            try JSONResponse.make(["status": "ok"])
        }
        router.get("/v1/ca") { _, _ in
            try JSONResponse.make(CAResponse(certificate: fleet.caPEM, fingerprint: try fleet.ca.certificate.fingerprint))
        }
        router.post("/v1/enroll") { request, context in
            let body = try await request.decodeJSON(EnrollRequest.self, limit: 64 * 1024)
            return try JSONResponse.make(try await enroll(body, from: context.channel.remoteAddress?.ipAddress, logger: context.logger), status: .created)
        }
    }

    /// `address`: where the request came from, recorded with the node for `unenroll`'s check.
    func enroll(_ body: EnrollRequest, from address: String?, logger: Logger) async throws -> EnrollResponse {
        let csr = try CertificateSigningRequest.parse(pem: body.csr)
        guard csr.publicKey.isValidSignature(csr.signature, for: csr) else {
            throw ShoalError(.csrInvalid, "the CSR's signature does not verify against its own public key")
        }
        let hostname = String(body.hostname.prefix(253))
        for (key, value) in body.labels ?? [:] { try LabelText.validate(key: key, value: value) }
        let ownLabels = body.labels ?? [:]
        let now = Date()
        let nodeID = "n-" + RandomID.make(bytes: 6)
        let validity = TimeInterval(fleet.config.seconds(\.nodeCertificateValidity))
        let certificate = try fleet.ca.issueClientCertificate(csr: csr, identity: PeerIdentity(role: .node, name: nodeID), validity: validity, now: now)
        let node = try await fleet.store.enroll(tokenHash: RandomID.hash(body.token), now: now) { token in
            NodeRecord(
                id: nodeID, hostname: hostname.isEmpty ? nodeID : hostname, status: .ready,
                labelsJSON: (try? ownLabels.merging(token.labels) { _, fromToken in fromToken }.jsonText()) ?? token.labelsJSON,
                factsJSON: nil, metricsJSON: nil, enrolledAt: now, lastHeartbeatAt: nil,
                certificateSerial: certificate.serialHex, previousCertificateSerial: nil, certificateExpiresAt: certificate.notValidAfter,
                lastSequence: 0, tokenID: token.id, enrolledFrom: address
            )
        }
        logger.info("node enrolled", metadata: ["node": "\(node.id)", "hostname": "\(node.hostname)"])
        return EnrollResponse(
            nodeID: node.id, certificate: try certificate.pemText, caCertificate: fleet.caPEM,
            bundleKeys: fleet.trustedBundleKeys, labels: node.labels,
            heartbeatIntervalSeconds: fleet.config.seconds(\.heartbeatInterval)
        )
    }
}
