import Foundation
import Logging
import ServiceLifecycle
import ShoalClient
import ShoalCore

/// Renews the node's client certificate two thirds into its lifetime, with the same key
/// (which never leaves the node), so a fleet never expires by itself. The new certificate
/// is written atomically and the client switches to it at once. It renews at once when the
/// coordinator asks (`requested`, after a fleet CA rotation).
public struct CertificateRenewalService: Service {
    let client: APIClient
    let state: AgentStateDirectory
    let nodeID: String
    let logger: Logger
    /// Signalled when a heartbeat answer says the certificate is from a CA no longer issuing.
    public let requested: Wakeup
    /// A request is honoured at most this often: heartbeats already in flight with the old
    /// certificate ask again right after a renewal.
    static let requestSpacing: TimeInterval = 60

    public init(client: APIClient, state: AgentStateDirectory, nodeID: String, requested: Wakeup = Wakeup(), logger: Logger) {
        self.client = client
        self.state = state
        self.nodeID = nodeID
        self.requested = requested
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { [self] in
            var asked = false
            var lastRenewal = Date.distantPast
            while !Task.isCancelled {
                var delay: Duration = .seconds(3600)
                do {
                    let credentials = try state.credentials()
                    if let due = CertificateChecks.renewalDate(pem: credentials.certificate), let expiry = CertificateChecks.expiry(pem: credentials.certificate) {
                        let honourRequest = asked && Date().timeIntervalSince(lastRenewal) > Self.requestSpacing
                        asked = false
                        if Date() >= due || honourRequest {
                            if honourRequest { logger.info("the coordinator asks for a certificate from its current CA; renewing now") }
                            try await renew(credentials: credentials)
                            lastRenewal = Date()
                            continue
                        }
                        // Look again at the due time, or sooner for short-lived certificates.
                        let lifetime = max(1, expiry.timeIntervalSince(due) * 3)
                        delay = .seconds(min(3600, max(1, min(due.timeIntervalSinceNow, lifetime / 10))))
                    }
                } catch is CancellationError {
                    return  // the agent is stopping: not a failure
                } catch {
                    logger.warning("certificate renewal failed; will retry", metadata: ["error": "\(error)"])
                    delay = .seconds(30)
                }
                asked = try await requested.wait(upTo: delay)
            }
        }
    }

    func renew(credentials: (ca: String, certificate: String, key: String)) async throws {
        let key = try NodeKey(pem: credentials.key)
        let csr = try key.certificateSigningRequestPEM(commonName: nodeID)
        let response = try await client.post("/v1/agent/\(nodeID)/renew", body: RenewRequest(csr: csr), as: RenewResponse.self)
        guard key.matches(certificatePEM: response.certificate), CertificateChecks.isIssued(certificatePEM: response.certificate, byCA: credentials.ca) else {
            throw ShoalError(.csrInvalid, "the renewed certificate is not for this node's key or not signed by the pinned CA; keeping the current one")
        }
        try SecureFile.write(response.certificate, to: state.certificateFile, mode: 0o644)
        client.replaceTLS(try ClientTLS.mutual(caPEM: credentials.ca, certificatePEM: response.certificate, keyPEM: credentials.key))
        logger.info("node certificate renewed", metadata: ["expires": "\(CertificateChecks.expiry(pem: response.certificate).map(Timestamp.format) ?? "?")"])
    }
}
