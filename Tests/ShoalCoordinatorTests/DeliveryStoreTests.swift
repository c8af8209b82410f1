import Foundation
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// Sequence numbers, delivery state and result recording at the store.
@Suite struct DeliveryStoreTests {
    let store: SQLiteFleetStore

    init() async throws {
        let directory = NSTemporaryDirectory() + "shoal-store-" + RandomID.make(bytes: 6)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try SQLiteFleetStore(path: directory + "/fleet.db")
        try await store.insertToken(JoinTokenRecord(
            id: "tok", tokenHash: RandomID.hash("t"), createdAt: Date(), expiresAt: Date().addingTimeInterval(600),
            usesAllowed: 2, usesCount: 0, labelsJSON: "{}", createdBy: "test"
        ))
        for id in ["n-a", "n-b"] {
            _ = try await store.enroll(tokenHash: RandomID.hash("t"), now: Date()) { JoinTokenStoreTests.node(id, $0) }
        }
    }

    func makeTask(_ id: String, nodes: [String]) async throws -> [DeliveryRecord] {
        try await store.createTask(TaskRecord(id: id, name: id, createdAt: Date(), createdBy: "test", requestJSON: "{}"), nodeIDs: nodes, now: Date()) { node, _, sequence in
            "{\"node\":\"\(node)\",\"sequence\":\(sequence)}"
        }
    }

    @Test func sequencesIncreasePerNode() async throws {
        let first = try await makeTask("t-1", nodes: ["n-a", "n-b"])
        let second = try await makeTask("t-2", nodes: ["n-a"])
        #expect(first.map(\.sequence) == [1, 1])
        #expect(second.map(\.sequence) == [2])
    }

    @Test func pollingMovesQueuedToDeliveredOnce() async throws {
        _ = try await makeTask("t-1", nodes: ["n-a", "n-b"])
        let taken = try await store.takeQueuedDeliveries(nodeID: "n-a", now: Date())
        #expect(taken.count == 1)
        #expect(taken.first?.status == .delivered)
        #expect(try await store.takeQueuedDeliveries(nodeID: "n-a", now: Date()).isEmpty)
        #expect(try await store.takeQueuedDeliveries(nodeID: "n-b", now: Date()).count == 1)
    }

    @Test func resultsAreRecordedOnceAndOnlyFromTheirNode() async throws {
        let delivery = try #require(try await makeTask("t-1", nodes: ["n-a"]).first)
        let result = BundleResult(
            deliveryID: delivery.id, bundleID: delivery.id, taskID: "t-1", nodeID: "n-a", sequence: 1, status: .succeeded,
            startedAt: Date(), finishedAt: Date(),
            steps: [StepResult(index: 0, name: "c", kind: "command", status: .changed, exitCode: 0, stdout: CapturedOutput(head: "hello\nworld", tail: "", totalBytes: 11))]
        )
        // Another node's claim is acknowledged (so it stops resending) but not recorded.
        #expect(try await store.recordResult(result, fromNode: "n-b", now: Date()))
        #expect(try await store.deliveries(taskID: "t-1").first?.status == .queued)
        #expect(try await store.recordResult(result, fromNode: "n-a", now: Date()))
        let stored = try #require(try await store.deliveries(taskID: "t-1").first)
        #expect(stored.status == .succeeded)
        #expect(stored.firstLine == "hello")
        #expect(stored.exitCode == 0)
        // A second, different report for a finished delivery does not overwrite it.
        var late = result
        late.status = .failed
        #expect(try await store.recordResult(late, fromNode: "n-a", now: Date()))
        #expect(try await store.deliveries(taskID: "t-1").first?.status == .succeeded)
    }

    @Test func silentNodesAreMarkedDownAndComeBackOnHeartbeat() async throws {
        let past = Date().addingTimeInterval(-120)
        _ = try await store.recordHeartbeat(nodeID: "n-a", at: past, metricsJSON: "{}", factsJSON: nil)
        _ = try await store.recordHeartbeat(nodeID: "n-b", at: Date(), metricsJSON: "{}", factsJSON: nil)
        let down = try await store.markDown(lastHeartbeatBefore: Date().addingTimeInterval(-60), now: Date())
        #expect(down == ["n-a"])
        #expect(try await store.node(id: "n-a")?.status == .down)
        _ = try await store.recordHeartbeat(nodeID: "n-a", at: Date(), metricsJSON: "{}", factsJSON: nil)
        #expect(try await store.node(id: "n-a")?.status == .ready)
        #expect(try await store.events(nodeID: "n-a").map(\.kind) == ["enrolled", "down", "ready"])
    }
}
