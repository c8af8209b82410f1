import Foundation
import ShoalCore

/// Mints join tokens. The secret is shown once; only its SHA-256 is stored.
struct TokenIssuer: Sendable {
    let store: any FleetStore
    static let maxTTL = 30 * 86400

    func issue(_ request: TokenCreateRequest, by peer: PeerIdentity) async throws -> TokenCreateResponse {
        guard request.ttlSeconds > 0, request.ttlSeconds <= Self.maxTTL else {
            throw ShoalError(.invalidArgument, "ttl must be between 1s and 30d, got \(request.ttlSeconds)s")
        }
        guard request.uses >= 1, request.uses <= 100_000 else {
            throw ShoalError(.invalidArgument, "uses must be between 1 and 100000, got \(request.uses)")
        }
        for (key, value) in request.labels {
            try LabelText.validate(key: key, value: value)
        }
        let now = Date()
        let id = "tok-" + RandomID.make(bytes: 4)
        let secret = "shoal_" + RandomID.make(bytes: 24)
        let record = JoinTokenRecord(
            id: id, tokenHash: RandomID.hash(secret), createdAt: now, expiresAt: now.addingTimeInterval(TimeInterval(request.ttlSeconds)),
            usesAllowed: request.uses, usesCount: 0, labelsJSON: try request.labels.jsonText(), createdBy: peer.name
        )
        try await store.insertToken(record, audit: .tokenCreated(record, ttlSeconds: request.ttlSeconds, by: peer))
        return TokenCreateResponse(token: secret, tokenID: id, expiresAt: record.expiresAt, uses: request.uses, labels: request.labels)
    }
}
