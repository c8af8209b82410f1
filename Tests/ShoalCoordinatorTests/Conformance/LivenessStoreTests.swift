import Foundation
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// What the liveness monitor asks the store, and how long it sleeps on the answer.
@Suite struct LivenessStoreTests {
    let store: any FleetStore

    init() async throws {
        store = try await StoreBackend.makeStore()
        try await store.insertToken(JoinTokenRecord(
            id: "tok", tokenHash: RandomID.hash("t"), createdAt: Date(), expiresAt: Date().addingTimeInterval(600),
            usesAllowed: 3, usesCount: 0, labelsJSON: "{}", createdBy: "test"
        ), audit: .test("token.create"))
    }

    func enroll(_ id: String, at: Date) async throws {
        _ = try await store.enroll(tokenHash: RandomID.hash("t"), now: at) { token in
            var node = JoinTokenStoreTests.node(id, token)
            node.enrolledAt = at
            return node
        }
    }

    @Test("the oldest ready node is the next one due, silent or beating; down and revoked nodes do not count")
    func oldestReadyHeartbeat() async throws {
        let now = Date()
        #expect(try await store.oldestReadyHeartbeat() == nil)
        try await enroll("n-silent", at: now.addingTimeInterval(-20))
        try await enroll("n-beat", at: now.addingTimeInterval(-100))
        try await enroll("n-old", at: now.addingTimeInterval(-200))
        _ = try await store.recordHeartbeat(nodeID: "n-beat", at: now.addingTimeInterval(-5), metricsJSON: "{}", factsJSON: nil, point: nil, labelsVersionHeld: 0, coordinatorURL: nil)
        _ = try await store.recordHeartbeat(nodeID: "n-old", at: now.addingTimeInterval(-60), metricsJSON: "{}", factsJSON: nil, point: nil, labelsVersionHeld: 0, coordinatorURL: nil)
        let oldest = try #require(try await store.oldestReadyHeartbeat())
        #expect(abs(oldest.timeIntervalSince(now.addingTimeInterval(-60))) < 0.01)

        // n-old is overdue at a 45 s limit: marked down, and the silent node is now the oldest.
        #expect(try await store.markDown(lastHeartbeatBefore: now.addingTimeInterval(-45), now: now) == ["n-old"])
        let next = try #require(try await store.oldestReadyHeartbeat())
        #expect(abs(next.timeIntervalSince(now.addingTimeInterval(-20))) < 0.01)
        #expect(try await store.markDown(lastHeartbeatBefore: now.addingTimeInterval(-10), now: now).sorted() == ["n-silent"])
    }

    @Test("the monitor sleeps until the oldest node is overdue, within bounds")
    func delayUntilOverdue() {
        let now = Date()
        // Last beat 10 s ago, limit 45 s: due in 35 s, capped at half the limit.
        #expect(LivenessMonitor.delay(untilOverdue: now.addingTimeInterval(-10), limit: 45, now: now) == 22.5)
        // Due in 2 s: sleeps just past it.
        #expect(abs(LivenessMonitor.delay(untilOverdue: now.addingTimeInterval(-43), limit: 45, now: now) - 2.05) < 0.001)
        // Already overdue (a clock step): a short pause, never a spin.
        #expect(LivenessMonitor.delay(untilOverdue: now.addingTimeInterval(-100), limit: 45, now: now) == 0.1)
    }
}

extension LivenessStoreTests {
    @Test("a heartbeat keeps facts it did not resend, and a down node comes back ready with an event")
    func heartbeatKeepsFactsAndRevivesDownNodes() async throws {
        try await enroll("n-3", at: Date())
        _ = try await store.recordHeartbeat(nodeID: "n-3", at: Date(), metricsJSON: "{\"beat\":1}", factsJSON: "{\"hostname\":\"kept\"}", point: nil, labelsVersionHeld: 0, coordinatorURL: nil)
        _ = try await store.markDown(lastHeartbeatBefore: Date().addingTimeInterval(60), now: Date())
        #expect(try await store.node(id: "n-3")?.status == .down)
        let outcome = try await store.recordHeartbeat(nodeID: "n-3", at: Date(), metricsJSON: "{\"beat\":2}", factsJSON: nil, point: nil, labelsVersionHeld: 0, coordinatorURL: nil)
        #expect(outcome?.status == .ready)
        let stored = try await store.node(id: "n-3")
        #expect(stored?.status == .ready)
        #expect(stored?.metricsJSON == "{\"beat\":2}")
        #expect(stored?.factsJSON == "{\"hostname\":\"kept\"}")
        #expect(try await store.events(nodeID: "n-3").filter { $0.kind == "ready" }.count == 1)
        #expect(try await store.recordHeartbeat(nodeID: "n-missing", at: Date(), metricsJSON: "{}", factsJSON: nil, point: nil, labelsVersionHeld: 0, coordinatorURL: nil) == nil)
    }

    @Test("a heartbeat answers with the node's status, its cancellations, and the label statement only when the node's copy is behind")
    func heartbeatOutcome() async throws {
        try await enroll("n-4", at: Date())
        let envelope = DSSEEnvelope(payloadType: "application/vnd.shoal.labels+json", payload: "e30=", signatures: [.init(keyid: "k", sig: "c2ln")])
        _ = try await store.setLabels(
            nodeID: "n-4", labelsJSON: "{\"role\":\"gpu\"}", version: 1, statementJSON: try envelope.jsonText(), audit: .test("labels.set")
        )
        let behind = try #require(try await store.recordHeartbeat(nodeID: "n-4", at: Date(), metricsJSON: "{}", factsJSON: nil, point: nil, labelsVersionHeld: 0, coordinatorURL: nil))
        #expect(behind.status == .ready && behind.labelsVersion == 1 && behind.cancellations.isEmpty)
        #expect(behind.labelStatement == envelope)
        let current = try await store.recordHeartbeat(nodeID: "n-4", at: Date(), metricsJSON: "{}", factsJSON: nil, point: nil, labelsVersionHeld: 1, coordinatorURL: nil)
        #expect(current?.labelStatement == nil)
        let credential = try #require(try await store.nodeCredential(id: "n-4"))
        let node = try #require(try await store.node(id: "n-4"))
        #expect(credential == NodeCredential(
            status: node.status, certificateSerial: node.certificateSerial, previousCertificateSerial: node.previousCertificateSerial, certificateKey: node.certificateKey
        ))
        #expect(try await store.nodeCredential(id: "n-none") == nil)
        let summaries = try await store.nodeSummaries(ids: ["n-4", "n-none"])
        #expect(summaries == ["n-4": NodeSummary(id: "n-4", hostname: node.hostname, status: .ready)])
        // More ids than one statement may bind: read in pages.
        #expect(try await store.nodeSummaries(ids: (0..<1_200).map { "n-x\($0)" } + ["n-4"]).keys.sorted() == ["n-4"])
    }

    @Test("a heartbeat stores the coordinator URL the node uses; one without it keeps the last")
    func heartbeatRecordsCoordinatorURL() async throws {
        try await enroll("n-url", at: Date())
        #expect(try await store.node(id: "n-url")?.view.coordinatorURL == nil)
        _ = try await store.recordHeartbeat(nodeID: "n-url", at: Date(), metricsJSON: "{}", factsJSON: nil, point: nil, labelsVersionHeld: 0, coordinatorURL: "https://b:8443")
        #expect(try await store.node(id: "n-url")?.view.coordinatorURL == "https://b:8443")
        _ = try await store.recordHeartbeat(nodeID: "n-url", at: Date(), metricsJSON: "{}", factsJSON: nil, point: nil, labelsVersionHeld: 0, coordinatorURL: nil)
        #expect(try await store.node(id: "n-url")?.coordinatorURL == "https://b:8443")
    }
}
