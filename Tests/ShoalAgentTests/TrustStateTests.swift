import Foundation
import ShoalAgent
import ShoalCore
import ShoalTestSupport
import Testing

/// What a node trusts, as it keeps it on disk: trust documents only forward, along a chain
/// the old roots vouch for; labels only from operator statements inside the signer's scope.
@Suite("Trust state")
struct TrustStateTests {
    let dir: TemporaryDirectory
    let state: AgentStateDirectory
    let keys: TrustFixture

    init() throws {
        dir = try TemporaryDirectory()
        state = AgentStateDirectory(path: dir.file("state"))
        try state.prepare()
        keys = try TrustFixture(scope: OperatorScope(selector: "env=staging", kinds: ["any"], commands: true))
    }

    func code(_ body: () async throws -> Void) async -> ShoalError.Code? {
        do { try await body() } catch let error as ShoalError { return error.code } catch { return nil }
        return nil
    }

    @Test func documentsOnlyMoveForwardAndSurviveARestart() async throws {
        let trust = try TrustState(state: state)
        try await trust.accept(chain: [keys.envelope])
        let (v2, signed2) = try keys.next { $0.operators = [] }
        try await trust.accept(chain: [signed2])
        #expect(await trust.version == v2.version)
        #expect(await code { try await trust.accept(chain: [keys.envelope]) } == .trustRollback)
        #expect(await code { try await trust.accept(chain: [signed2]) } == .trustRollback)
        let restarted = try TrustState(state: state)
        #expect(await restarted.version == 2)
        #expect(await code { try await restarted.accept(chain: [keys.envelope]) } == .trustRollback)
    }

    @Test func aRotationIsFollowedAlongTheChainAndAForgedRootIsNot() async throws {
        let trust = try TrustState(state: state)
        try await trust.accept(chain: [keys.envelope])
        // v2 moves to new roots (signed by the old root and the new one); v3 is signed by the new only.
        let newRoot = BundleSigningKey()
        let v2 = try keys.document.next { $0.roots = .init(threshold: 1, keys: [newRoot.publicKey]) }
        let v3 = try v2.next { _ in }
        let chain = [try v2.signed(by: [keys.root, newRoot]), try v3.signed(by: [newRoot])]
        // v3 alone does not connect to what the node holds.
        #expect(await code { try await trust.accept(chain: [chain[1]]) } == .trustBadSignature)
        try await trust.accept(chain: chain)
        #expect(await trust.version == 3)
        // A document signed only by a root the node never heard of is refused.
        let forged = try v3.next { _ in }.signed(by: [BundleSigningKey()])
        #expect(await code { try await trust.accept(chain: [forged]) } == .trustBadSignature)
    }

    @Test func aPinnedRootMustMatchTheFirstDocument() async throws {
        let pinned = try TrustState(state: state, pinnedRoots: "sha256:" + String(repeating: "0", count: 64))
        #expect(await code { try await pinned.accept(chain: [keys.envelope]) } == .trustRootMismatch)
        let right = try TrustState(state: state, pinnedRoots: keys.document.roots.fingerprint)
        try await right.accept(chain: [keys.envelope])
        #expect(await right.version == 1)
    }

    @Test func labelStatementsOnlyWithinTheSignersScope() async throws {
        let trust = try TrustState(state: state, enrolledLabels: ["env": "staging"])
        try await trust.accept(chain: [keys.envelope])
        let move = try LabelStatement(nodeID: "node-1", version: 1, labels: ["env": "staging", "tier": "web"], operatorName: "admin", issuedAt: Date()).signed(with: keys.operatorKey)
        try await trust.accept(labelStatement: move, nodeID: "node-1")
        #expect(await trust.labels == NodeLabelSet(version: 1, labels: ["env": "staging", "tier": "web"]))
        // Out of the scope, an old version, another node, an unknown signer: all refused.
        let escape = try LabelStatement(nodeID: "node-1", version: 2, labels: ["env": "prod"], operatorName: "admin", issuedAt: Date()).signed(with: keys.operatorKey)
        #expect(await code { try await trust.accept(labelStatement: escape, nodeID: "node-1") } == .labelsRefused)
        #expect(await code { try await trust.accept(labelStatement: move, nodeID: "node-1") } == .labelsRefused)
        #expect(await code { try await trust.accept(labelStatement: move, nodeID: "node-2") } == .labelsRefused)
        let stranger = try LabelStatement(nodeID: "node-1", version: 5, labels: ["env": "staging"], operatorName: "admin", issuedAt: Date()).signed(with: BundleSigningKey())
        #expect(await code { try await trust.accept(labelStatement: stranger, nodeID: "node-1") } == .labelsRefused)
        let reloaded = try TrustState(state: state)
        #expect(await reloaded.labels.version == 1)
    }

    @Test func theStartedTaskLedgerIsDurableAndForgetsExpiredEntries() async throws {
        let trust = try TrustState(state: state)
        try await trust.recordStarted("t-old", until: Date().addingTimeInterval(-1))
        try await trust.recordStarted("t-new", until: Date().addingTimeInterval(600))
        #expect(await trust.startedKeys() == ["t-new"])
        let reloaded = try TrustState(state: state)
        #expect(await reloaded.startedKeys() == ["t-new"])
    }

    @Test func aDamagedLedgerOrLabelFileStopsTheAgentRatherThanResetting() async throws {
        let trust = try TrustState(state: state)
        try await trust.recordStarted("t-1", until: Date().addingTimeInterval(600))
        try "{not json".write(toFile: state.startedTasksFile, atomically: true, encoding: .utf8)
        #expect(await code { _ = try TrustState(state: state) } == .storage)
        try FileManager.default.removeItem(atPath: state.startedTasksFile)
        #expect(await code { _ = try TrustState(state: state) } == nil)
        try "garbage".write(toFile: state.labelsFile, atomically: true, encoding: .utf8)
        #expect(await code { _ = try TrustState(state: state) } == .storage)
    }
}
