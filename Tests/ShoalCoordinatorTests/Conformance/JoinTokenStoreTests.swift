import Foundation
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// Token rules at the store (each backend's, `StoreBackend`): unknown, expired, used up, N uses,
/// and a race for a single-use token that exactly one enrollment wins.
@Suite struct JoinTokenStoreTests {
    let store: any FleetStore

    init() async throws {
        store = try await StoreBackend.makeStore()
    }

    func addToken(_ secret: String, uses: Int, expiresIn: TimeInterval = 600, labels: [String: String] = [:]) async throws {
        try await store.insertToken(JoinTokenRecord(
            id: "tok-" + secret, tokenHash: RandomID.hash(secret), createdAt: Date(), expiresAt: Date().addingTimeInterval(expiresIn),
            usesAllowed: uses, usesCount: 0, labelsJSON: try labels.jsonText(), createdBy: "test"
        ), audit: .test("token.create"))
    }

    static func node(_ id: String, _ token: JoinTokenRecord) -> NodeRecord {
        NodeRecord(
            id: id, hostname: id, status: .ready, labelsJSON: token.labelsJSON, claimedLabelsJSON: "{}", labelsVersion: 0, labelStatementJSON: nil, factsJSON: nil, metricsJSON: nil,
            enrolledAt: Date(), lastHeartbeatAt: nil, certificateSerial: "01", previousCertificateSerial: nil, certificateExpiresAt: Date().addingTimeInterval(3600),
            lastSequence: 0, tokenID: token.id
        )
    }

    func enroll(_ secret: String, as id: String) async throws -> NodeRecord {
        try await store.enroll(tokenHash: RandomID.hash(secret), now: Date()) { Self.node(id, $0) }
    }

    @Test func tokenLabelsAreCopiedOntoTheNode() async throws {
        try await addToken("labelled", uses: 1, labels: ["role": "gpu"])
        let node = try await enroll("labelled", as: "n-1")
        #expect(node.labels == ["role": "gpu"])
        #expect(try await store.node(id: "n-1")?.labels == ["role": "gpu"])
    }

    @Test func unknownExpiredAndUsedUpTokensAreRefused() async throws {
        #expect(await errorCode { _ = try await enroll("nope", as: "n-1") } == .tokenInvalid)
        try await addToken("old", uses: 5, expiresIn: -1)
        #expect(await errorCode { _ = try await enroll("old", as: "n-2") } == .tokenExpired)
        try await addToken("once", uses: 1)
        _ = try await enroll("once", as: "n-3")
        #expect(await errorCode { _ = try await enroll("once", as: "n-4") } == .tokenUsedUp)
        #expect(try await store.nodes().map(\.id) == ["n-3"])
    }

    @Test func anNUseTokenEnrollsExactlyNNodes() async throws {
        try await addToken("three", uses: 3)
        for index in 1...3 { _ = try await enroll("three", as: "n-\(index)") }
        #expect(await errorCode { _ = try await enroll("three", as: "n-4") } == .tokenUsedUp)
        #expect(try await store.nodes().count == 3)
    }

    @Test func racingEnrollmentsOnASingleUseTokenHaveExactlyOneWinner() async throws {
        try await addToken("race", uses: 1)
        let store = self.store
        let wins = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<16 {
                group.addTask {
                    (try? await store.enroll(tokenHash: RandomID.hash("race"), now: Date()) { Self.node("n-\(index)", $0) }) != nil
                }
            }
            var count = 0
            for await won in group where won { count += 1 }
            return count
        }
        #expect(wins == 1)
        #expect(try await store.nodes().count == 1)
    }

    @Test func aFailedEnrollmentDoesNotConsumeTheToken() async throws {
        try await addToken("keep", uses: 1)
        struct Boom: Error {}
        _ = await errorCode { _ = try await store.enroll(tokenHash: RandomID.hash("keep"), now: Date()) { _ in throw Boom() } }
        let node = try await enroll("keep", as: "n-after")
        #expect(node.id == "n-after")
    }
}
