import Foundation
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// A node's life at the store (each backend's, `StoreBackend`) beyond heartbeats: marked
/// down with an event, revoked for good, and its certificate renewed, confirmed and keyed.
@Suite struct NodeStoreTests {
    let store: any FleetStore

    init() async throws {
        store = try await StoreBackend.makeStore()
        try await store.addTestToken(uses: 5)
    }

    func enroll(_ id: String, at: Date = Date()) async throws {
        try await store.enrollTestNode(id, at: at)
    }

    func beat(_ id: String, at: Date = Date()) async throws -> HeartbeatOutcome? {
        try await store.recordHeartbeat(nodeID: id, at: at, metricsJSON: "{}", factsJSON: nil, point: nil, labelsVersionHeld: 0, coordinatorURL: nil)
    }

    @Test func markDownTakesOnlyOverdueReadyNodesOnceAndRecordsWhy() async throws {
        // Whole seconds: the event names the stored heartbeat time, which each backend keeps to its own precision.
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        try await enroll("n-silent", at: now.addingTimeInterval(-300))
        try await enroll("n-late", at: now.addingTimeInterval(-300))
        try await enroll("n-fresh", at: now.addingTimeInterval(-300))
        try await enroll("n-revoked", at: now.addingTimeInterval(-300))
        let lateBeat = now.addingTimeInterval(-120)
        _ = try await beat("n-late", at: lateBeat)
        _ = try await beat("n-fresh", at: now.addingTimeInterval(-5))
        _ = try await store.revoke(nodeID: "n-revoked", reason: "test", now: now, audit: .test("node.revoke"))

        #expect(try await store.markDown(lastHeartbeatBefore: now.addingTimeInterval(-60), now: now).sorted() == ["n-late", "n-silent"])
        #expect(try await store.nodes().map { "\($0.id)=\($0.status.rawValue)" }.sorted() == ["n-fresh=ready", "n-late=down", "n-revoked=revoked", "n-silent=down"])
        let late = try #require(try await store.events(nodeID: "n-late").last)
        #expect(late.kind == "down" && late.detail == "no heartbeat since \(Timestamp.format(lateBeat))")
        #expect(abs(late.at.timeIntervalSince(now)) < 0.01)
        #expect(try await store.events(nodeID: "n-silent").map(\.kind) == ["enrolled", "down"])
        #expect(try await store.events(nodeID: "n-silent").last?.detail == "no heartbeat since enrollment")
        // Already down: not marked again.
        #expect(try await store.markDown(lastHeartbeatBefore: now.addingTimeInterval(-60), now: now).isEmpty)
        #expect(try await store.events(nodeID: "n-silent").count == 2)
    }

    @Test func aRevokedNodeStaysRevokedWhateverItSends() async throws {
        try await enroll("n-a")
        let revoked = try #require(try await store.revoke(nodeID: "n-a", reason: "key stolen", now: Date(), audit: .test("node.revoke")))
        #expect(revoked.status == .revoked && revoked.id == "n-a")
        #expect(try await beat("n-a")?.status == .revoked)
        #expect(try await store.nodeCredential(id: "n-a")?.status == .revoked)
        #expect(try await store.oldestReadyHeartbeat() == nil)
        let event = try #require(try await store.events(nodeID: "n-a").last)
        #expect(event.kind == "revoked" && event.detail == "key stolen")
    }

    @Test func aRenewedCertificateReplacesTheOldOneOnceConfirmed() async throws {
        try await enroll("n-a")
        // The key is recorded once, and only for the certificate the node holds.
        try await store.recordCertificateKey(nodeID: "n-a", serial: "ff", key: "k-wrong")
        #expect(try await store.nodeCredential(id: "n-a")?.certificateKey == nil)
        try await store.recordCertificateKey(nodeID: "n-a", serial: "01", key: "k-1")
        try await store.recordCertificateKey(nodeID: "n-a", serial: "01", key: "k-other")
        #expect(try await store.nodeCredential(id: "n-a")?.certificateKey == "k-1")

        let expires = Date(timeIntervalSince1970: 1_900_000_000)
        try await store.replaceCertificate(nodeID: "n-a", serial: "02", expiresAt: expires, issuerCA: "ca-2", key: "k-2", now: Date())
        #expect(try await store.nodeCredential(id: "n-a") == NodeCredential(status: .ready, certificateSerial: "02", previousCertificateSerial: "01", certificateKey: "k-2"))
        let node = try #require(try await store.node(id: "n-a"))
        #expect(node.certificateCA == "ca-2" && node.certificateExpiresAt == expires)
        let event = try #require(try await store.events(nodeID: "n-a").last)
        #expect(event.kind == "certificate_renewed" && event.detail == "serial 02, valid until \(Timestamp.format(expires))")

        // Using the old one confirms nothing; using the new one retires the old.
        try await store.confirmCertificate(nodeID: "n-a", serial: "01")
        #expect(try await store.nodeCredential(id: "n-a")?.previousCertificateSerial == "01")
        try await store.confirmCertificate(nodeID: "n-a", serial: "02")
        #expect(try await store.nodeCredential(id: "n-a")?.previousCertificateSerial == nil)

        // An unknown node: nothing happens, nothing is recorded.
        try await store.replaceCertificate(nodeID: "n-nobody", serial: "03", expiresAt: expires, issuerCA: "ca-2", key: "k-3", now: Date())
        #expect(try await store.node(id: "n-nobody") == nil)
        #expect(try await store.events(nodeID: "n-nobody").isEmpty)
    }
}
