import Foundation
import ShoalCore
import Synchronization
import Testing

@testable import ShoalCoordinator

/// Group commit of heartbeats: beats arriving together share a transaction, and none is lost,
/// reordered within its node, or failed by another node's beat.
@Suite struct HeartbeatRecorderTests {
    let store: SQLiteFleetStore
    let transactions = TransactionCounter()
    let nodeIDs = (0..<40).map { "n-\($0)" }

    init() async throws {
        let directory = NSTemporaryDirectory() + "shoal-store-" + RandomID.make(bytes: 6)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try SQLiteFleetStore(path: directory + "/fleet.db", timer: transactions)
        try await store.insertToken(JoinTokenRecord(
            id: "tok", tokenHash: RandomID.hash("t"), createdAt: Date(), expiresAt: Date().addingTimeInterval(600),
            usesAllowed: 100, usesCount: 0, labelsJSON: "{}", createdBy: "test"
        ), audit: .test("token.create"))
        for id in nodeIDs {
            _ = try await store.enroll(tokenHash: RandomID.hash("t"), now: Date()) { JoinTokenStoreTests.node(id, $0) }
        }
    }

    func beat(_ nodeID: String, _ n: Int, facts: String? = nil) -> HeartbeatWrite {
        HeartbeatWrite(nodeID: nodeID, at: Date(), metricsJSON: "{\"beat\":\(n)}", factsJSON: facts, point: nil)
    }

    @Test("concurrent beats from many nodes all land in fewer transactions, each node's last beat wins")
    func concurrentBeatsAllLand() async throws {
        let recorder = HeartbeatRecorder(store: store, maxBatch: 16)
        let before = transactions.count("recordHeartbeats")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in nodeIDs {
                group.addTask {
                    // One node's beats are sequential, as an agent sends them.
                    for n in 1...5 {
                        let node = try await recorder.record(beat(id, n))
                        #expect(node?.metricsJSON == "{\"beat\":\(n)}")
                        #expect(node?.status == .ready)
                    }
                }
            }
            try await group.waitForAll()
        }
        for id in nodeIDs {
            let node = try await store.node(id: id)
            #expect(node?.metricsJSON == "{\"beat\":5}")
            #expect(node?.lastHeartbeatAt != nil)
        }
        // 200 beats from 40 nodes at once: beats waiting behind a write share the next one.
        let written = transactions.count("recordHeartbeats") - before
        #expect(written < 200)
        print("200 heartbeats from 40 nodes written in \(written) transactions")
    }

    @Test("an unknown node gets nil and does not fail the beats written with it")
    func unknownNodeDoesNotFailOthers() async throws {
        let recorder = HeartbeatRecorder(store: store)
        async let known = recorder.record(beat("n-1", 1, facts: "{\"hostname\":\"h1\"}"))
        async let unknown = recorder.record(beat("n-missing", 1))
        async let other = recorder.record(beat("n-2", 1))
        #expect(try await unknown == nil)
        #expect(try await known?.factsJSON == "{\"hostname\":\"h1\"}")
        #expect(try await other?.id == "n-2")
    }

    @Test("a batch keeps facts a beat did not resend, and a down node comes back ready with an event")
    func batchKeepsFactsAndRevivesDownNodes() async throws {
        _ = try await store.recordHeartbeats([beat("n-3", 1, facts: "{\"hostname\":\"kept\"}")])
        _ = try await store.markDown(lastHeartbeatBefore: Date().addingTimeInterval(60), now: Date())
        #expect(try await store.node(id: "n-3")?.status == .down)
        let nodes = try await store.recordHeartbeats([beat("n-3", 2), beat("n-4", 2), beat("n-3", 3)])
        #expect(nodes.map { $0?.metricsJSON } == ["{\"beat\":2}", "{\"beat\":2}", "{\"beat\":3}"])
        let stored = try await store.node(id: "n-3")
        #expect(stored?.status == .ready)
        #expect(stored?.factsJSON == "{\"hostname\":\"kept\"}")
        #expect(try await store.events(nodeID: "n-3").filter { $0.kind == "ready" }.count == 1)
    }
}

/// Counts store transactions by operation name.
final class TransactionCounter: StoreOperationTimer {
    private let counts = Mutex([String: Int]())
    func record(operation: String, duration: Duration) { counts.withLock { $0[operation, default: 0] += 1 } }
    func count(_ operation: String) -> Int { counts.withLock { $0[operation] ?? 0 } }
}
