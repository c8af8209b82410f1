import Foundation

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
