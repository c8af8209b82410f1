import Foundation
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// `gpu.health` on the coordinator: each node's latest heartbeat, as stored, decides which
/// nodes a selector (`nodes list --selector`, a rollout's targets) picks.
@Suite struct GPUHealthSelectionTests {
    let store: SQLiteFleetStore

    init() async throws {
        let directory = NSTemporaryDirectory() + "shoal-gpuhealth-" + RandomID.make(bytes: 6)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try SQLiteFleetStore(path: directory + "/fleet.db")
        try await store.insertToken(JoinTokenRecord(
            id: "tok", tokenHash: RandomID.hash("t"), createdAt: Date(), expiresAt: Date().addingTimeInterval(600),
            usesAllowed: 3, usesCount: 0, labelsJSON: "{}", createdBy: "test"
        ), audit: .test("token.create"))
        for id in ["n-gpu-a", "n-gpu-b", "n-cpu"] {
            _ = try await store.enroll(tokenHash: RandomID.hash("t"), now: Date()) { JoinTokenStoreTests.node(id, $0) }
        }
    }

    /// A heartbeat's metrics as an agent judges them: one H200 with the given counters.
    func heartbeat(_ nodeID: String, gpu edit: ((inout NodeMetrics.GPU) -> Void)?) async throws {
        var metrics = NodeMetrics(cpuPercent: 5, load1: 0.1, load5: 0.1, load15: 0.1, memoryTotalBytes: 1 << 30, memoryUsedBytes: 1 << 29, rootDiskTotalBytes: 1 << 34, rootDiskUsedBytes: 1 << 33)
        if let edit {
            var gpu = NodeMetrics.GPU(index: 0, uuid: "GPU-\(nodeID)")
            gpu.eccUncorrectedVolatile = 0
            gpu.remappedRowsPending = false
            gpu.xidCodes = []
            edit(&gpu)
            metrics.gpus = [gpu]
        }
        let judged = GPUHealthJudge.judged(metrics)
        _ = try await store.recordHeartbeat(nodeID: nodeID, at: Date(), metricsJSON: String(decoding: try WireCoding.encode(judged), as: UTF8.self), factsJSON: nil, point: nil, labelsVersionHeld: 0, coordinatorURL: nil)
    }

    func selected(_ selector: String) async throws -> [String] {
        let parsed = try NodeSelector(parsing: selector)
        return try await store.nodes().filter { $0.matches(parsed) }.map(\.id).sorted()
    }

    @Test func healthTurnsDegradedAndFailedWithECCAndXIDAndBackToOk() async throws {
        try await heartbeat("n-gpu-a", gpu: { _ in })
        try await heartbeat("n-gpu-b", gpu: { _ in })
        try await heartbeat("n-cpu", gpu: nil)
        #expect(try await selected("gpu.health=ok") == ["n-gpu-a", "n-gpu-b"])
        #expect(try await selected("gpu.health!=failed") == ["n-cpu", "n-gpu-a", "n-gpu-b"])

        try await heartbeat("n-gpu-a", gpu: { $0.eccUncorrectedVolatile = 2 })
        try await heartbeat("n-gpu-b", gpu: { $0.remappedRowsPending = true })
        #expect(try await selected("gpu.health=ok").isEmpty)
        #expect(try await selected("gpu.health=failed") == ["n-gpu-a"])
        #expect(try await selected("gpu.health=degraded") == ["n-gpu-b"])
        let shown = try #require(try await store.node(id: "n-gpu-a")?.view.metrics)
        #expect(shown.gpuHealthState == .failed)
        #expect(shown.gpuHealthReason?.contains("uncorrectable ECC") == true)

        try await heartbeat("n-gpu-b", gpu: { $0.xidCodes = [79] })
        #expect(try await selected("gpu.health=failed") == ["n-gpu-a", "n-gpu-b"])

        // After a GPU reset the driver's volatile counters and the kernel log start over.
        try await heartbeat("n-gpu-a", gpu: { _ in })
        try await heartbeat("n-gpu-b", gpu: { _ in })
        #expect(try await selected("gpu.health=ok") == ["n-gpu-a", "n-gpu-b"])
    }

    @Test func anOlderAgentsCountersAreJudgedHere() async throws {
        // No healthState, no gpuHealthState: what an agent from before GPU health sends.
        let old = #"{"cpuPercent":1,"load1":0,"load5":0,"load15":0,"memoryTotalBytes":1,"memoryUsedBytes":1,"rootDiskTotalBytes":1,"rootDiskUsedBytes":1,"gpus":[{"index":0,"remappedRowsFailure":true}]}"#
        _ = try await store.recordHeartbeat(nodeID: "n-gpu-a", at: Date(), metricsJSON: old, factsJSON: nil, point: nil, labelsVersionHeld: 0, coordinatorURL: nil)
        #expect(try await selected("gpu.health=failed") == ["n-gpu-a"])
    }
}
