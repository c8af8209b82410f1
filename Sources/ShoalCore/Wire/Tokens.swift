import Foundation

/// `POST /v1/operators` (admin): a certificate for another operator, from their CSR.
public struct OperatorCreateRequest: Codable, Sendable {
    public var name: String
    public var role: PeerIdentity.Role
    public var csr: String
    public var validityDays: Int

    public init(name: String, role: PeerIdentity.Role, csr: String, validityDays: Int) {
        self.name = name
        self.role = role
        self.csr = csr
        self.validityDays = validityDays
    }
}

public struct OperatorCreateResponse: Codable, Sendable {
    public var certificate: String
    public var caCertificate: String
    public var url: String

    public init(certificate: String, caCertificate: String, url: String) {
        self.certificate = certificate
        self.caCertificate = caCertificate
        self.url = url
    }
}

/// `POST /v1/tokens` (admin): mint a join token.
public struct TokenCreateRequest: Codable, Sendable {
    public var ttlSeconds: Int
    public var uses: Int
    public var labels: [String: String]

    public init(ttlSeconds: Int, uses: Int, labels: [String: String]) {
        self.ttlSeconds = ttlSeconds
        self.uses = uses
        self.labels = labels
    }
}

public struct TokenCreateResponse: Codable, Sendable {
    /// Shown once; only its SHA-256 is stored.
    public var token: String
    public var tokenID: String
    public var expiresAt: Date
    public var uses: Int
    public var labels: [String: String]

    public init(token: String, tokenID: String, expiresAt: Date, uses: Int, labels: [String: String]) {
        self.token = token
        self.tokenID = tokenID
        self.expiresAt = expiresAt
        self.uses = uses
        self.labels = labels
    }
}

/// `GET /v1/trust?after=N`: the trust documents above version N, oldest first.
public struct TrustChainResponse: Codable, Sendable {
    public var documents: [DSSEEnvelope]
    public init(documents: [DSSEEnvelope]) { self.documents = documents }
}
