import Foundation
import Hummingbird
import ShoalCore
import X509

extension AgentRoutes {
    /// `POST /v1/agent/{node}/renew`: a new certificate for the node. The CSR must be for the
    /// key of the certificate the request came with; a new key needs `keyChangeProof`, a
    /// signature by the current key over the new CSR (`KeyChangeProof`).
    func renew(_ request: Request, context: CoordinatorRequestContext) async throws -> Response {
        let nodeID = try context.parameters.require("node")
        let body = try await request.decodeJSON(RenewRequest.self, limit: 64 * 1024)
        let csr = try CertificateSigningRequest.parse(pem: body.csr)
        guard let current = context.peerPublicKey else {
            throw ShoalError(.clientCertificateRequired, "renewal needs the node's current certificate (mutual TLS)")
        }
        if csr.publicKey != current {
            guard let proof = body.keyChangeProof, KeyChangeProof.verify(proof, newCSRPEM: body.csr, currentKey: current) else {
                throw ShoalError(.csrInvalid, "the renewal CSR is for a different key than node \(nodeID)'s current certificate and carries no valid keyChangeProof by the current key; renew with the same key, or sign the new CSR with the current key")
            }
        }
        let now = Date()
        let certificate = try fleet.ca.issueClientCertificate(
            csr: csr, identity: PeerIdentity(role: .node, name: nodeID), validity: TimeInterval(fleet.config.seconds(\.nodeCertificateValidity)), now: now
        )
        try await fleet.store.replaceCertificate(nodeID: nodeID, serial: certificate.serialHex, expiresAt: certificate.notValidAfter, issuerCA: fleet.caFingerprint, key: certificate.publicKeyHash, now: now)
        context.logger.info("node certificate renewed", metadata: ["node": "\(nodeID)", "keyChanged": "\(csr.publicKey != current)"])
        return try JSONResponse.make(RenewResponse(certificate: try certificate.pemText))
    }
}
