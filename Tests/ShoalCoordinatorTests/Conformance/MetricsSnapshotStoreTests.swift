import Foundation
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// The store snapshot a `/metrics` scrape reads (each backend's, `StoreBackend`): every node's
/// identity, labels and latest figures, rollouts and deliveries counted by state, in one read.
@Suite struct MetricsSnapshotStoreTests {
    let store: any FleetStore

    init() async throws {
        store = try await StoreBackend.makeStore()
    }

    @Test func nodesComeByHostnameThenIdWithTheirLabelsAndNoCountsBeforeAnyTask() async throws {
        #expect(try await store.metricsSnapshot().nodes.isEmpty)
        try await store.addTestToken(uses: 3, labelsJSON: #"{"env":"prod"}"#)
        // Byte order, as SQLite's: upper case before lower case.
        for (id, hostname) in [("n-2", "beta"), ("n-1", "beta"), ("n-3", "Alpha")] {
            try await store.enrollTestNode(id) { $0.hostname = hostname }
        }
        _ = try await store.markDown(lastHeartbeatBefore: Date().addingTimeInterval(60), now: Date())
        let snapshot = try await store.metricsSnapshot()
        #expect(snapshot.nodes.map(\.id) == ["n-3", "n-1", "n-2"])
        #expect(snapshot.nodes.allSatisfy { $0.status == .down && $0.labels == ["env": "prod"] && $0.lastHeartbeatAt == nil && $0.metrics == nil })
        #expect(snapshot.rollouts.isEmpty && snapshot.deliveries.isEmpty)
    }

    @Test func theSnapshotCountsRolloutsAndDeliveriesByStateInOneRead() async throws {
        try await store.addTestToken(uses: 2, labelsJSON: #"{"env":"prod"}"#)
        for id in ["n-a", "n-b"] { try await store.enrollTestNode(id) }
        let metrics = NodeMetrics(cpuPercent: 1, load1: 0, load5: 0, load15: 0, memoryTotalBytes: 8, memoryUsedBytes: 4, rootDiskTotalBytes: 2, rootDiskUsedBytes: 1)
        _ = try await store.recordHeartbeat(nodeID: "n-a", at: Date(), metricsJSON: try metrics.jsonText(), factsJSON: nil, point: nil, labelsVersionHeld: 0, coordinatorURL: nil)
        let deliveries = ["n-a", "n-b"].enumerated().map { index, node in
            DeliveryRecord(id: "t-\(node)", taskID: "t", nodeID: node, position: index, isCanary: false, createdAt: Date())
        }
        try await store.createTask(TaskRecord(id: "t", name: "t", createdAt: Date(), createdBy: "test", requestJSON: "{}", total: 2), deliveries: deliveries, audit: .test("task.create"))
        _ = try await store.transition(deliveryID: "t-n-b", from: [.pending], to: .failed, now: Date(), errorCode: "node.unreachable", message: "down", notBefore: nil, countAttempt: true)

        let snapshot = try await store.metricsSnapshot()
        #expect(snapshot.nodes.map(\.id).sorted() == ["n-a", "n-b"])
        let nodeA = try #require(snapshot.nodes.first { $0.id == "n-a" })
        #expect(nodeA.metrics == metrics)
        #expect(nodeA.lastHeartbeatAt != nil)
        #expect(snapshot.rollouts == [.pending: 1])
        #expect(snapshot.deliveries == [.pending: 1, .failed: 1])
    }
}
