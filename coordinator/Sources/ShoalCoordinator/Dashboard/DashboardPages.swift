import Foundation
import ShoalCore

/// The dashboard's view models, built from the store. Every text a node or task author
/// controls is passed as a plain string; the templates escape it.
struct DashboardPages: Sendable {
    let fleet: Fleet

    struct NodeRow: Sendable { var id, hostname, status, labels, heartbeat, cpu, memory, gpus, os: String }
    struct GPUModelRow: Sendable { var model: String; var gpus: Int; var nodes: Int }
    struct AttentionRow: Sendable { var id, hostname, reason: String }
    struct FleetPage: Sendable {
        let title = "Fleet"
        var who: String, fleetName: String
        var total, ready, down, revoked, gpuTotal: Int
        var gpuModels: [GPUModelRow], hasGPUModels: Bool
        var attention: [AttentionRow], hasAttention: Bool
        var nodes: [NodeRow]
    }

    func fleetPage(who: String, now: Date = Date()) async throws -> FleetPage {
        let nodes = try await fleet.store.nodes().sorted { ($0.hostname, $0.id) < ($1.hostname, $1.id) }
        var models: [String: (gpus: Int, nodes: Int)] = [:]
        var attention: [AttentionRow] = []
        for node in nodes {
            let devices = node.facts?.gpu?.devices ?? []
            for (model, group) in Dictionary(grouping: devices, by: { $0.model ?? "unknown model" }) {
                models[model, default: (0, 0)].gpus += group.count
                models[model, default: (0, 0)].nodes += 1
            }
            if let reason = Self.attentionReason(node) { attention.append(AttentionRow(id: node.id, hostname: node.hostname, reason: reason)) }
        }
        let rows = nodes.map { node in
            let metrics = node.metrics
            return NodeRow(
                id: node.id, hostname: node.hostname, status: node.status.rawValue,
                labels: node.labels.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ", "),
                heartbeat: node.lastHeartbeatAt.map { Self.ago($0, now: now) } ?? "never",
                cpu: metrics.map { String(format: "%.0f%%", $0.cpuPercent) } ?? "",
                memory: metrics.map { Self.percent($0.memoryUsedBytes, of: $0.memoryTotalBytes) } ?? "",
                gpus: (node.facts?.gpu?.devices.count).map(String.init) ?? "0",
                os: node.facts.map { "\($0.osID) \($0.osVersion)" } ?? ""
            )
        }
        let gpuModels = models.map { GPUModelRow(model: $0.key, gpus: $0.value.gpus, nodes: $0.value.nodes) }.sorted { $0.model < $1.model }
        return FleetPage(
            who: who, fleetName: fleet.config.fleetName, total: nodes.count,
            ready: nodes.count { $0.status == .ready }, down: nodes.count { $0.status == .down }, revoked: nodes.count { $0.status == .revoked },
            gpuTotal: gpuModels.reduce(0) { $0 + $1.gpus }, gpuModels: gpuModels, hasGPUModels: !gpuModels.isEmpty,
            attention: attention, hasAttention: !attention.isEmpty, nodes: rows
        )
    }

    /// Why a node needs someone: down, failing checks, GPU memory errors, a GPU driver not loaded.
    static func attentionReason(_ node: NodeRecord) -> String? {
        if node.status == .down { return "down since \(node.lastHeartbeatAt.map(Timestamp.format) ?? "enrollment")" }
        guard node.status == .ready else { return nil }
        var reasons: [String] = []
        if let failing = node.metrics?.checks?.filter({ !$0.healthy }), !failing.isEmpty {
            reasons.append("check failing: " + failing.map(\.name).joined(separator: ", "))
        }
        for gpu in node.metrics?.gpus ?? [] {
            if (gpu.eccUncorrectedVolatile ?? 0) > 0 { reasons.append("GPU \(gpu.index): uncorrectable ECC errors") }
            if gpu.remappedRowsFailure == true { reasons.append("GPU \(gpu.index): row remapping failed") }
            if gpu.remappedRowsPending == true || gpu.retiredPagesPending == true { reasons.append("GPU \(gpu.index): needs a reset (pending remap)") }
        }
        if let gpu = node.facts?.gpu, !gpu.driverLoaded { reasons.append("GPU driver not loaded: \(gpu.driverProblem ?? "unknown")") }
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }

    struct Fact: Sendable { var name, value: String }
    struct CheckRow: Sendable { var name, kind, state, message, checkedAt: String }
    struct GPURow: Sendable { var index: Int; var model, utilization, memory, temperature, power, ecc: String }
    struct NodePage: Sendable {
        var title: String, who: String, id, hostname, status: String
        var facts: [Fact], checks: [CheckRow], gpus: [GPURow], hasGPUs: Bool
        var historyWindow: String, charts: [MetricChart]
    }

    func nodePage(id: String, who: String, now: Date = Date()) async throws -> NodePage? {
        guard let node = try await fleet.store.node(id: id) else { return nil }
        var facts = [
            Fact(name: "labels", value: node.labels.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ", ")),
            Fact(name: "enrolled", value: Timestamp.format(node.enrolledAt)),
            Fact(name: "heartbeat", value: node.lastHeartbeatAt.map(Timestamp.format) ?? "never"),
        ]
        if let f = node.facts {
            facts += [
                Fact(name: "os", value: "\(f.osPrettyName) (kernel \(f.kernel), \(f.architecture))"),
                Fact(name: "cpu", value: "\(f.cpuCount) × \(f.cpuModel)"), Fact(name: "memory", value: "\(f.memoryBytes >> 20) MiB"),
                Fact(name: "agent", value: f.agentVersion),
            ]
            if let gpu = f.gpu { facts.append(Fact(name: "gpu driver", value: gpu.driverLoaded ? "\(gpu.driverVersion ?? "?"), CUDA \(gpu.cudaVersion ?? "?")" : "not loaded: \(gpu.driverProblem ?? "")")) }
        }
        let checks = (node.metrics?.checks ?? []).map {
            CheckRow(name: $0.name, kind: $0.kind, state: $0.healthy ? "healthy" : "unhealthy", message: $0.message ?? "", checkedAt: Timestamp.format($0.checkedAt))
        }
        let models = Dictionary((node.facts?.gpu?.devices ?? []).map { ($0.index, $0.model ?? "") }, uniquingKeysWith: { first, _ in first })
        let gpus = (node.metrics?.gpus ?? []).map { gpu in
            GPURow(
                index: gpu.index, model: models[gpu.index] ?? "", utilization: gpu.utilizationPercent.map { String(format: "%.0f%%", $0) } ?? "–",
                memory: gpu.memoryUsedMiB.map { used in "\(used)/\(gpu.memoryTotalMiB.map(String.init) ?? "?") MiB" } ?? "–",
                temperature: gpu.temperatureC.map { String(format: "%.0f °C", $0) } ?? "–", power: gpu.powerDrawW.map { String(format: "%.0f W", $0) } ?? "–",
                ecc: gpu.eccUncorrectedVolatile.map(String.init) ?? "–"
            )
        }
        let points = try await fleet.store.metricPoints(nodeID: id, since: now.addingTimeInterval(-6 * 3600), until: now, resolution: .minute)
        let charts = [
            MetricChart.make(label: "CPU", points: points, maximum: 100, unit: "%") { $0.cpuPercent },
            MetricChart.make(label: "Memory", points: points, maximum: 100, unit: "%") { Double($0.memoryUsedBytes) / Double(max($0.memoryTotalBytes, 1)) * 100 },
            MetricChart.make(label: "Root disk", points: points, maximum: 100, unit: "%") { Double($0.rootDiskUsedBytes) / Double(max($0.rootDiskTotalBytes, 1)) * 100 },
            MetricChart.make(label: "GPU utilisation", points: points, maximum: 100, unit: "%") { $0.gpuUtilizationPercent },
            MetricChart.make(label: "Hottest GPU", points: points, maximum: 100, unit: " °C") { $0.gpuTemperatureMaxC },
        ].compactMap { $0 }
        return NodePage(
            title: node.hostname, who: who, id: node.id, hostname: node.hostname, status: node.status.rawValue,
            facts: facts, checks: checks, gpus: gpus, hasGPUs: !gpus.isEmpty, historyWindow: "6 hours", charts: charts
        )
    }

    static func ago(_ date: Date, now: Date) -> String {
        let seconds = Int(now.timeIntervalSince(date))
        if seconds < 120 { return "\(max(seconds, 0))s ago" }
        if seconds < 7200 { return "\(seconds / 60)m ago" }
        return "\(seconds / 3600)h ago"
    }

    static func percent(_ part: UInt64, of whole: UInt64) -> String {
        whole == 0 ? "" : String(format: "%.0f%%", Double(part) / Double(whole) * 100)
    }
}
