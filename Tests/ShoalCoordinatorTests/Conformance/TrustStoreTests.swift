import Foundation
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// Trust documents and operator-signed labels at the store (each backend's, `StoreBackend`):
/// the chain an agent walks, the rollback refusal (atomic: of racing installs of one version
/// exactly one is stored), and the label version check.
@Suite struct TrustStoreTests {
    let store: any FleetStore

    init() async throws {
        store = try await StoreBackend.makeStore()
    }

    func document(_ version: Int, _ tag: String = "") -> TrustDocumentRecord {
        TrustDocumentRecord(version: version, envelopeJSON: "{\"v\":\(version),\"tag\":\"\(tag)\"}", installedAt: Date())
    }

    @Test func documentsAboveAVersionComeOldestFirst() async throws {
        #expect(try await store.latestTrustDocument() == nil)
        for version in 1...3 { try await store.installTrustDocument(document(version), audit: .test("trust.publish")) }
        #expect(try await store.trustDocuments(after: 1).map(\.version) == [2, 3])
        #expect(try await store.trustDocuments(after: 0).map(\.envelopeJSON) == (1...3).map { document($0).envelopeJSON })
        #expect(try await store.trustDocuments(after: 3).isEmpty)
        #expect(try await store.latestTrustDocument()?.version == 3)
    }

    @Test func aDocumentNotNewerThanTheLatestIsRefusedAndChangesNothing() async throws {
        try await store.installTrustDocument(document(2, "first"), audit: .test("trust.publish"))
        let head = try await store.auditHead()
        #expect(await errorCode { try await store.installTrustDocument(document(2, "again"), audit: .test("trust.publish")) } == .trustRollback)
        #expect(await errorCode { try await store.installTrustDocument(document(1), audit: .test("trust.publish")) } == .trustRollback)
        #expect(try await store.latestTrustDocument()?.envelopeJSON == document(2, "first").envelopeJSON)
        #expect(try await store.trustDocuments(after: 0).count == 1)
        #expect(try await store.auditHead() == head)
    }

    @Test func racingInstallsOfOneVersionStoreExactlyOne() async throws {
        try await store.installTrustDocument(document(1), audit: .test("trust.publish"))
        let store = self.store
        let outcomes = await withTaskGroup(of: ShoalError.Code?.self) { group in
            for index in 0..<8 {
                group.addTask { await errorCode { try await store.installTrustDocument(self.document(2, "r\(index)"), audit: .test("trust.publish")) } }
            }
            var codes: [ShoalError.Code?] = []
            for await code in group { codes.append(code) }
            return codes
        }
        #expect(outcomes.filter { $0 == nil }.count == 1)
        #expect(outcomes.filter { $0 == .trustRollback }.count == 7)
        #expect(try await store.trustDocuments(after: 0).map(\.version) == [1, 2])
        // One entry for each stored document, none for the refused.
        #expect(try await store.auditEntries(AuditQuery(action: "trust.publish")).count == 2)
    }
}

extension TrustStoreTests {
    func enroll(_ id: String) async throws {
        try await store.addTestToken(id, uses: 1, labelsJSON: "{\"env\":\"dev\"}")
        try await store.enrollTestNode(id, secret: id)
    }

    @Test func labelsChangeOnlyAtTheNodesNextVersion() async throws {
        try await enroll("n-a")
        let changed = try #require(try await store.setLabels(
            nodeID: "n-a", labelsJSON: "{\"env\":\"prod\"}", version: 1, statementJSON: "{\"statement\":1}", audit: .test("node.labels")
        ))
        #expect(changed.labels == ["env": "prod"] && changed.labelsVersion == 1 && changed.labelStatementJSON == "{\"statement\":1}")
        let head = try await store.auditHead()
        // A stale version (someone changed them meanwhile) and a skipped one are refused.
        #expect(await errorCode { _ = try await store.setLabels(nodeID: "n-a", labelsJSON: "{}", version: 1, statementJSON: nil, audit: .test("node.labels")) } == .labelsRefused)
        #expect(await errorCode { _ = try await store.setLabels(nodeID: "n-a", labelsJSON: "{}", version: 3, statementJSON: nil, audit: .test("node.labels")) } == .labelsRefused)
        #expect(try await store.setLabels(nodeID: "n-nobody", labelsJSON: "{}", version: 1, statementJSON: nil, audit: .test("node.labels")) == nil)
        #expect(try await store.auditHead() == head)
        let stored = try #require(try await store.node(id: "n-a"))
        #expect(stored.labels == ["env": "prod"] && stored.labelsVersion == 1 && stored.labelStatementJSON == "{\"statement\":1}")
        // Nothing else of the node moved.
        #expect(stored.status == .ready && stored.certificateSerial == "01")
    }

    @Test func racingLabelChangesAtOneVersionHaveExactlyOneWinner() async throws {
        try await enroll("n-a")
        let store = self.store
        let wins = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<8 {
                group.addTask {
                    (try? await store.setLabels(nodeID: "n-a", labelsJSON: "{\"try\":\"\(index)\"}", version: 1, statementJSON: nil, audit: .test("node.labels"))) != nil
                }
            }
            var count = 0
            for await won in group where won { count += 1 }
            return count
        }
        #expect(wins == 1)
        #expect(try await store.node(id: "n-a")?.labelsVersion == 1)
    }
}
