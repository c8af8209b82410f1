import Foundation
import ShoalCore
import ShoalTestSupport
import Testing

@testable import ShoalCoordinator

/// The scrape's fleet series from a known snapshot: names, units, labels and values, what
/// is left out (revoked nodes, a down node's stale load, figures a GPU does not report).
@Suite struct FleetMetricsExporterTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func metrics(gpus: [NodeMetrics.GPU]?) -> NodeMetrics {
        var metrics = NodeMetrics(
            cpuPercent: 42.5, load1: 1.5, load5: 1.25, load15: 1, memoryTotalBytes: 16_000_000_000,
            memoryUsedBytes: 4_000_000_000, rootDiskTotalBytes: 100_000_000_000, rootDiskUsedBytes: 25_000_000_000, gpus: gpus
        )
        metrics.checks = [NodeCheckResult(name: "disk-free", kind: "command", healthy: false, message: "low", checkedAt: now)]
        return metrics
    }

    static func h200() -> NodeMetrics.GPU {
        var gpu = NodeMetrics.GPU(index: 0, uuid: "GPU-8f4e2a1b")
        gpu.utilizationPercent = 37
        gpu.memoryUtilizationPercent = 7
        gpu.memoryUsedMiB = 32362
        gpu.memoryTotalMiB = 143_771
        gpu.temperatureC = 52
        gpu.powerDrawW = 627.4
        gpu.powerLimitW = 700
        gpu.eccCorrectedVolatile = 3
        gpu.eccUncorrectedVolatile = 0
        gpu.remappedRowsCorrectable = 0
        gpu.remappedRowsPending = false
        gpu.remappedRowsFailure = true
        return gpu
    }

    static func node(_ id: String, _ status: NodeRecord.Status, labels: String = "{}", heartbeatAgo: TimeInterval? = 2, metrics: NodeMetrics? = nil) throws -> FleetMetricsSnapshot.Node {
        FleetMetricsSnapshot.Node(
            id: id, hostname: "host-\(id)", status: status, labelsJSON: labels,
            lastHeartbeatAt: heartbeatAgo.map { now.addingTimeInterval(-$0) },
            metricsJSON: try metrics.map { String(decoding: try WireCoding.encode($0), as: UTF8.self) }
        )
    }

    func scrape(_ snapshot: FleetMetricsSnapshot, openPolls: Int = 0) throws -> (String, PrometheusText) {
        var bytes: [UInt8] = []
        FleetMetricsExporter(snapshot: snapshot, openPolls: openPolls, now: Self.now, version: "9.8.7").registry().emit(into: &bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        return (text, try PrometheusText(text))
    }

    @Test func aReadyNodesFiguresAreExportedInBaseUnits() throws {
        let snapshot = FleetMetricsSnapshot(nodes: [try Self.node("n-1", .ready, metrics: Self.metrics(gpus: [Self.h200()]))])
        let (_, scrape) = try scrape(snapshot)
        let node = ["node": "n-1", "hostname": "host-n-1"]
        #expect(scrape.value("shoal_node_cpu_utilization_ratio", node) == 0.425)
        #expect(scrape.value("shoal_node_load5", node) == 1.25)
        #expect(scrape.value("shoal_node_memory_total_bytes", node) == 16_000_000_000)
        #expect(scrape.value("shoal_node_memory_used_bytes", node) == 4_000_000_000)
        #expect(scrape.value("shoal_node_root_disk_used_bytes", node) == 25_000_000_000)
        #expect(scrape.value("shoal_node_heartbeat_age_seconds", node) == 2)
        #expect(scrape.value("shoal_node_ready", node) == 1)
        #expect(scrape.value("shoal_node_gpus", node) == 1)
        #expect(scrape.value("shoal_node_check_healthy", node.merging(["check": "disk-free"]) { $1 }) == 0)
        let gpu = node.merging(["gpu": "0"]) { $1 }
        #expect(scrape.value("shoal_gpu_info", gpu.merging(["uuid": "GPU-8f4e2a1b"]) { $1 }) == 1)
        #expect(scrape.value("shoal_gpu_utilization_ratio", gpu) == 0.37)
        #expect(scrape.value("shoal_gpu_memory_total_bytes", gpu) == Double(143_771 * 1_048_576))
        #expect(scrape.value("shoal_gpu_temperature_celsius", gpu) == 52)
        #expect(scrape.value("shoal_gpu_power_draw_watts", gpu) == 627.4)
        #expect(scrape.value("shoal_gpu_ecc_corrected_errors_total", gpu) == 3)
        #expect(scrape.types["shoal_gpu_ecc_corrected_errors_total"] == "counter")
        #expect(scrape.value("shoal_gpu_remapped_rows_failure", gpu) == 1)
        #expect(scrape.value("shoal_gpu_remapped_rows_pending", gpu) == 0)
        // Not reported by this GPU (row remapping, not page retirement): absent, not zero.
        #expect(scrape.samples("shoal_gpu_retired_pages_single_bit").isEmpty)
        #expect(scrape.samples("shoal_gpu_retired_pages_pending").isEmpty)
    }

    @Test func countsByStatusIncludeZerosAndBuildInfoNamesTheVersion() throws {
        let snapshot = FleetMetricsSnapshot(
            nodes: [try Self.node("a", .ready), try Self.node("b", .ready), try Self.node("c", .down), try Self.node("d", .revoked)],
            rollouts: [.running: 2, .succeeded: 5], deliveries: [.running: 3, .retryWait: 1]
        )
        let (_, scrape) = try scrape(snapshot, openPolls: 4)
        #expect(scrape.value("shoal_nodes", ["status": "ready"]) == 2)
        #expect(scrape.value("shoal_nodes", ["status": "down"]) == 1)
        #expect(scrape.value("shoal_nodes", ["status": "revoked"]) == 1)
        #expect(scrape.value("shoal_rollouts", ["state": "running"]) == 2)
        #expect(scrape.value("shoal_rollouts", ["state": "halted"]) == 0)
        #expect(scrape.samples("shoal_rollouts").count == RolloutStatus.allCases.count)
        #expect(scrape.value("shoal_deliveries", ["state": "retry_wait"]) == 1)
        #expect(scrape.samples("shoal_deliveries").count == NodeTaskStatus.allCases.count)
        #expect(scrape.value("shoal_agent_long_polls_open") == 4)
        #expect(scrape.value("shoal_build_info", ["version": "9.8.7"]) == 1)
    }

    @Test func revokedNodesDisappearAndDownNodesKeepOnlyTheirAge() throws {
        let snapshot = FleetMetricsSnapshot(nodes: [
            try Self.node("gone", .revoked, metrics: Self.metrics(gpus: [Self.h200()])),
            try Self.node("late", .down, heartbeatAgo: 90, metrics: Self.metrics(gpus: [Self.h200()])),
            try Self.node("new", .ready, heartbeatAgo: nil),
        ])
        let (_, scrape) = try scrape(snapshot)
        #expect(scrape.samples.filter { $0.labels["node"] == "gone" }.isEmpty)
        #expect(scrape.value("shoal_node_ready", ["node": "late"]) == 0)
        #expect(scrape.value("shoal_node_heartbeat_age_seconds", ["node": "late"]) == 90)
        #expect(scrape.samples("shoal_node_memory_used_bytes", ["node": "late"]).isEmpty, "a down node's last figures are stale")
        #expect(scrape.samples("shoal_gpu_temperature_celsius", ["node": "late"]).isEmpty)
        // Enrolled, no heartbeat yet: known and ready, nothing measured.
        #expect(scrape.value("shoal_node_ready", ["node": "new"]) == 1)
        #expect(scrape.samples("shoal_node_heartbeat_age_seconds", ["node": "new"]).isEmpty)
    }

    @Test func userLabelsLiveOnOneJoinableSeriesWithPrometheusNames() throws {
        let labels = #"{"env":"prod","gpu.model":"H200","gpu-model":"other","zone":"eu \"west\""}"#
        let (_, scrape) = try scrape(FleetMetricsSnapshot(nodes: [try Self.node("n-1", .ready, labels: labels, metrics: Self.metrics(gpus: nil))]))
        let series = try #require(scrape.samples("shoal_node_labels", ["node": "n-1"]).first)
        // gpu-model sorts before gpu.model, and keeps the name both become.
        #expect(series.labels == ["node": "n-1", "hostname": "host-n-1", "label_env": "prod", "label_gpu_model": "other", "label_zone": "eu \"west\""])
        #expect(scrape.samples("shoal_node_memory_used_bytes", ["node": "n-1"]).first?.labels.keys.sorted() == ["hostname", "node"], "no user labels on measurements")
    }

    @Test func everyFamilyIsNamedDescribedAndTypedThePrometheusWay() throws {
        let snapshot = FleetMetricsSnapshot(nodes: [try Self.node("n-1", .ready, metrics: Self.metrics(gpus: [Self.h200()]))])
        let (text, scrape) = try scrape(snapshot)
        let families = Set(scrape.samples.map(\.name))
        #expect(families.count > 25, "\(text)")
        for name in families {
            #expect(name.hasPrefix("shoal_"), "\(name)")
            #expect(scrape.help[name]?.isEmpty == false, "\(name) has no HELP")
            let type = try #require(scrape.types[name], "\(name) has no TYPE")
            #expect(name.hasSuffix("_total") == (type == "counter"), "\(name) is a \(type)")
        }
        #expect(FleetMetricSeries.gpu.allSatisfy { !$0.name.contains("percent") && !$0.name.contains("mib") })
    }
}
