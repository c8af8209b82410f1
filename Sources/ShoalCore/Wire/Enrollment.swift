/// `POST /v1/enroll`: a CSR and a join token in, a client certificate out.
public struct EnrollRequest: Codable, Sendable {
    public var token: String
    public var csr: String
    public var hostname: String
    /// Labels the node claims for itself (its config); kept apart as claimed labels.
    public var labels: [String: String]?

    public init(token: String, csr: String, hostname: String, labels: [String: String]? = nil) {
        self.token = token
        self.csr = csr
        self.hostname = hostname
        self.labels = labels
    }
}

public struct EnrollResponse: Codable, Sendable {
    public var nodeID: String
    public var certificate: String
    public var caCertificate: String
    public var bundleKeys: [TrustedBundleKey]
    /// The join token's labels: the node's labels at version 0.
    public var labels: [String: String]
    public var heartbeatIntervalSeconds: Int
    /// The fleet's current trust document (absent on a fleet that has none yet).
    public var trust: DSSEEnvelope?

    public init(
        nodeID: String, certificate: String, caCertificate: String, bundleKeys: [TrustedBundleKey],
        labels: [String: String], heartbeatIntervalSeconds: Int, trust: DSSEEnvelope? = nil
    ) {
        self.trust = trust
        self.nodeID = nodeID
        self.certificate = certificate
        self.caCertificate = caCertificate
        self.bundleKeys = bundleKeys
        self.labels = labels
        self.heartbeatIntervalSeconds = heartbeatIntervalSeconds
    }
}

/// `POST /v1/agent/{node}/renew`: a CSR (same or new key) for a fresh certificate.
public struct RenewRequest: Codable, Sendable {
    public var csr: String
    /// Required when the CSR is for a key other than the current certificate's:
    /// `KeyChangeProof.sign` by the current key over the new CSR.
    public var keyChangeProof: String?
    public init(csr: String, keyChangeProof: String? = nil) {
        self.csr = csr
        self.keyChangeProof = keyChangeProof
    }
}

public struct RenewResponse: Codable, Sendable {
    public var certificate: String
    public init(certificate: String) { self.certificate = certificate }
}

/// `GET /v1/ca`: the fleet CA certificate, for agents that pin it by fingerprint.
public struct CAResponse: Codable, Sendable {
    public var certificate: String
    public var fingerprint: String

    public init(certificate: String, fingerprint: String) {
        self.certificate = certificate
        self.fingerprint = fingerprint
    }
}
