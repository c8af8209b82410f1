import Foundation
import Logging
import ShoalClient
import ShoalCore

/// Enrolls this node: makes its key, sends a CSR with the join token over TLS that trusts
/// only the pinned CA, checks what comes back, and stores the identity. With several
/// coordinator URLs it tries them from a random one on, until one answers.
public struct Enroller: Sendable {
    public enum CAPin: Sendable {
        case certificate(pem: String)
        case fingerprint(String)
    }

    /// The config's coordinator URLs, all stored in the identity whichever one answered.
    public var coordinatorURLs: [String]
    public var token: String
    public var pin: CAPin
    public var state: AgentStateDirectory
    public var nodeName: String
    public var labels: [String: String]
    /// `trust_root` from agent.yaml, if pinned.
    public var trustRoot: String?
    public var logger: Logger

    public init(
        coordinatorURLs: [String], token: String, pin: CAPin, state: AgentStateDirectory, nodeName: String,
        labels: [String: String] = [:], trustRoot: String? = nil, logger: Logger
    ) {
        self.trustRoot = trustRoot
        self.coordinatorURLs = coordinatorURLs
        self.token = token
        self.pin = pin
        self.state = state
        self.nodeName = nodeName
        self.labels = labels
        self.logger = logger
    }

    /// Tries each URL, from a random one on (jitter), until one answers. Only "cannot reach
    /// it" moves on to the next: a refusal (bad token, wrong CA) is the fleet's answer and ends
    /// enrollment. When none can be reached, the last `net.unreachable` is thrown.
    public func enroll() async throws -> AgentIdentity {
        var lastFailure = ShoalError(.configInvalid, "no coordinator URL to enroll with: set coordinator_url in the agent config")
        for url in try CoordinatorEndpoints.jittered(coordinatorURLs).rotation {
            do {
                return try await enroll(at: url)
            } catch let error as ShoalError where error.code == .unreachable {
                if coordinatorURLs.count > 1 {
                    logger.warning("enrollment could not reach this coordinator URL; trying the next", metadata: ["url": "\(url)", "error": "\(error)"])
                }
                lastFailure = error
            }
        }
        throw lastFailure
    }

    private func enroll(at coordinatorURL: String) async throws -> AgentIdentity {
        let caPEM = try await resolveCA(at: coordinatorURL)
        let key = NodeKey()
        let csr = try key.certificateSigningRequestPEM(commonName: nodeName)
        let client = APIClient(baseURL: coordinatorURL, tls: try ClientTLS.serverAuthenticated(caPEM: caPEM))
        let response: EnrollResponse
        do {
            response = try await client.post("/v1/enroll", body: EnrollRequest(token: token, csr: csr, hostname: nodeName, labels: labels), as: EnrollResponse.self)
            await client.shutdown()
        } catch {
            await client.shutdown()
            throw error
        }
        // Trust nothing the coordinator says about the CA: it must be the one we pinned,
        // and the certificate must be for our key, signed by it.
        guard try CertificateChecks.fingerprint(pem: response.caCertificate) == CertificateChecks.fingerprint(pem: caPEM) else {
            throw ShoalError(.caFingerprintMismatch, "the coordinator returned a different CA than the one pinned; refusing to enroll")
        }
        guard key.matches(certificatePEM: response.certificate), CertificateChecks.isIssued(certificatePEM: response.certificate, byCA: caPEM) else {
            throw ShoalError(.csrInvalid, "the certificate the coordinator returned is not for this node's key or not signed by the pinned CA")
        }
        let identity = AgentIdentity(
            nodeID: response.nodeID, coordinatorURLs: coordinatorURLs, labels: response.labels,
            bundleKeys: response.bundleKeys, enrolledAt: Date()
        )
        // The fleet's trust document (checked against trust_root when pinned) and the token's
        // labels as the node's own, before the identity that marks the node enrolled.
        // A new identity starts with nothing trusted from any earlier enrollment.
        try state.prepare()
        for file in [state.trustFile, state.labelsFile, state.startedTasksFile] { try? FileManager.default.removeItem(atPath: file) }
        let trust = try TrustState(state: state, pinnedRoots: trustRoot, enrolledLabels: response.labels)
        if let document = response.trust { try await trust.accept(chain: [document]) }
        try state.saveLabels(NodeLabelSet(version: 0, labels: response.labels))
        try state.saveIdentity(identity, keyPEM: key.pemText, certificatePEM: response.certificate, caPEM: caPEM)
        logger.info("enrolled", metadata: ["node": "\(response.nodeID)", "coordinator": "\(coordinatorURL)"])
        return identity
    }

    /// The CA to pin: given outright, or fetched and accepted only if its SHA-256 matches.
    private func resolveCA(at coordinatorURL: String) async throws -> String {
        switch pin {
        case .certificate(let pem):
            return pem
        case .fingerprint(let expected):
            let client = APIClient(baseURL: coordinatorURL, tls: ClientTLS.unverifiedForFingerprintCheck())
            defer { Task { await client.shutdown() } }
            let answer = try await client.get("/v1/ca", as: CAResponse.self)
            let actual = try CertificateChecks.fingerprint(pem: answer.certificate)
            guard FingerprintText.normalise(actual) == FingerprintText.normalise(expected) else {
                throw ShoalError(.caFingerprintMismatch, "the coordinator's CA has fingerprint \(actual), not the pinned \(FingerprintText.normalise(expected)): wrong coordinator or a man in the middle; refusing to enroll")
            }
            return answer.certificate
        }
    }
}
