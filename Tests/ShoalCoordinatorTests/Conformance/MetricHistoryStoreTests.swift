import Foundation
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// The metric history at the store, from heartbeats with known values at known times: one
/// point per minute (the minute's first heartbeat), hour sums, usage, pruning.
@Suite struct MetricHistoryStoreTests {
    let store: any FleetStore
    /// 2026-11-30T10:00:00Z, on the hour.
    let start = Date(timeIntervalSince1970: 1_796_032_800)

    init() async throws {
        store = try await StoreBackend.makeStore()
        try await store.insertToken(JoinTokenRecord(
            id: "tok", tokenHash: RandomID.hash("t"), createdAt: Date(), expiresAt: Date().addingTimeInterval(600),
            usesAllowed: 2, usesCount: 0, labelsJSON: "{\"role\":\"gpu\"}", createdBy: "test"
        ), audit: .test("token.create"))
        for id in ["n-gpu", "n-cpu"] {
            _ = try await store.enroll(tokenHash: RandomID.hash("t"), now: Date()) { JoinTokenStoreTests.node(id, $0) }
        }
    }

    static let facts = NodeFacts(
        hostname: "h", osID: "debian", osVersion: "12", osPrettyName: "Debian 12", kernel: "6.1", architecture: "x86_64",
        cpuCount: 4, cpuModel: "test", memoryBytes: 8 << 30, disks: [], agentVersion: "test"
    )

    /// Metrics whose CPU figure names the heartbeat, two GPUs at known load.
    static func metrics(cpu: Double, gpus: Int) -> NodeMetrics {
        var metrics = NodeMetrics(
            cpuPercent: cpu, load1: cpu / 100, load5: 0, load15: 0, memoryTotalBytes: 8 << 30, memoryUsedBytes: 2 << 30,
            rootDiskTotalBytes: 100 << 30, rootDiskUsedBytes: 10 << 30
        )
        if gpus > 0 {
            metrics.gpus = (0..<gpus).map { index in
                var gpu = NodeMetrics.GPU(index: index)
                gpu.utilizationPercent = Double(50 + 10 * index)
                gpu.memoryUsedMiB = 1000
                gpu.temperatureC = Double(60 + index)
                gpu.powerDrawW = 100
                return gpu
            }
        }
        return metrics
    }

    func beat(_ node: String, at: Date, cpu: Double, gpus: Int) async throws {
        let metrics = Self.metrics(cpu: cpu, gpus: gpus)
        _ = try await store.recordHeartbeat(
            nodeID: node, at: at, metricsJSON: try metrics.jsonText(), factsJSON: try Self.facts.jsonText(), point: MetricPoint(minuteOf: at, metrics: metrics),
            labelsVersionHeld: 0, coordinatorURL: nil
        )
    }

    @Test func eachMinuteKeepsItsFirstHeartbeatAndHoursSumTheirMinutes() async throws {
        // 90 minutes of heartbeats every 20 s: the first of each minute has cpu 40, the others 90.
        for minute in 0..<90 {
            for beat in 0..<3 {
                try await self.beat("n-gpu", at: start.addingTimeInterval(Double(minute * 60 + beat * 20)), cpu: beat == 0 ? 40 : 90, gpus: 2)
            }
        }
        let minutes = try await store.metricPoints(nodeID: "n-gpu", since: start, until: start.addingTimeInterval(5400), resolution: .minute)
        #expect(minutes.count == 90)
        #expect(minutes.allSatisfy { $0.cpuPercent == 40 && $0.gpuCount == 2 && $0.minutes == 1 })
        #expect(minutes.first?.at == start && minutes.last?.at == start.addingTimeInterval(89 * 60))
        let first = try #require(minutes.first)
        #expect(first.gpuUtilizationPercent == 55 && first.gpuMemoryUsedMiB == 2000 && first.gpuTemperatureMaxC == 61 && first.gpuPowerDrawW == 200)

        let hours = try await store.metricPoints(nodeID: "n-gpu", since: start, until: start.addingTimeInterval(7200), resolution: .hour)
        #expect(hours.map(\.minutes) == [60, 30])
        #expect(hours.allSatisfy { abs($0.cpuPercent - 40) < 1e-9 && $0.gpuUtilizationPercent == 55 && $0.gpuTemperatureMaxC == 61 && $0.memoryUsedBytes == 2 << 30 })

        // Usage: 1.5 node-hours, 3 GPU-hours, 40 % of 4 cores = 1.6 busy cores for 1.5 h.
        try await beat("n-cpu", at: start.addingTimeInterval(600), cpu: 100, gpus: 0)
        let usage = try await store.usage(since: start, until: start.addingTimeInterval(7200))
        let gpu = try #require(usage.first { $0.nodeID == "n-gpu" })
        #expect(gpu.minutes == 90 && gpu.gpuMinutes == 180)
        #expect(abs(gpu.cpuCoreMinutes - 1.6 * 90) < 1e-6)
        #expect(abs(gpu.memoryByteMinutes - Double(2 << 30) * 90) < 1)
        let cpu = try #require(usage.first { $0.nodeID == "n-cpu" })
        #expect(cpu.minutes == 1 && cpu.gpuMinutes == 0 && abs(cpu.cpuCoreMinutes - 4) < 1e-9)
        // Only the hours asked for count.
        #expect(try await store.usage(since: start.addingTimeInterval(3600), until: start.addingTimeInterval(7200)).first { $0.nodeID == "n-gpu" }?.minutes == 30)

        // Grouped by label: both nodes carry role=gpu from the token.
        let nodes = Dictionary(try await store.nodes().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let grouped = MetricHistoryRoutes.rows(usage, nodes: nodes, groupBy: "role")
        #expect(grouped.count == 1 && grouped.first?.key == "gpu" && grouped.first?.nodes == 2)
        #expect(abs((grouped.first?.nodeHours ?? 0) - (91.0 / 60)) < 1e-9 && grouped.first?.gpuHours == 3)
        #expect(MetricHistoryRoutes.rows(usage, nodes: nodes, groupBy: "zone").first?.key == "(none)")
        let perNode = MetricHistoryRoutes.rows(usage, nodes: nodes, groupBy: nil)
        #expect(perNode.map(\.key) == ["n-cpu", "n-gpu"] && perNode.last?.nodeHours == 1.5 && perNode.last?.hostname == "n-gpu")
    }

    @Test func pruningDropsOldMinutesButKeepsTheHoursUsageIsBilledFrom() async throws {
        for minute in 0..<120 {
            try await beat("n-gpu", at: start.addingTimeInterval(Double(minute * 60)), cpu: 10, gpus: 1)
        }
        let removed = try await store.pruneMetricHistory(minutesBefore: start.addingTimeInterval(3600), hoursBefore: start)
        #expect(removed == 60)
        #expect(try await store.metricPoints(nodeID: "n-gpu", since: start, until: start.addingTimeInterval(7200), resolution: .minute).count == 60)
        #expect(try await store.usage(since: start, until: start.addingTimeInterval(7200)).first?.minutes == 120)
        // Hours go by their own cutoff.
        #expect(try await store.pruneMetricHistory(minutesBefore: start, hoursBefore: start.addingTimeInterval(3600)) == 1)
        #expect(try await store.usage(since: start, until: start.addingTimeInterval(7200)).first?.minutes == 60)
    }

    @Test func aHeartbeatWithoutGPUsOrCoresStillCountsItsMinute() async throws {
        let metrics = Self.metrics(cpu: 30, gpus: 0)
        _ = try await store.recordHeartbeat(nodeID: "n-cpu", at: start, metricsJSON: try metrics.jsonText(), factsJSON: nil, point: MetricPoint(minuteOf: start, metrics: metrics), labelsVersionHeld: 0, coordinatorURL: nil)
        let point = try #require(try await store.metricPoints(nodeID: "n-cpu", since: start, until: start.addingTimeInterval(60), resolution: .minute).first)
        #expect(point.gpuCount == 0 && point.gpuUtilizationPercent == nil && point.gpuTemperatureMaxC == nil)
        let usage = try #require(try await store.usage(since: start, until: start.addingTimeInterval(3600)).first)
        #expect(usage.minutes == 1 && usage.cpuCoreMinutes == 0)
    }
}
