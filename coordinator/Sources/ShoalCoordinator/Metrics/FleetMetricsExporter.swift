import Foundation
import Prometheus
import ShoalCore

/// Turns one `FleetMetricsSnapshot` into the scrape's fleet series, in a registry made for
/// this scrape alone: nothing is kept between scrapes, so a node that is revoked (or a GPU
/// that is gone) is simply absent from the next one, and the cost is one store read plus
/// one pass over the nodes.
///
/// Revoked nodes are left out (they only count in `shoal_nodes`). A `down` node keeps its
/// identity series and heartbeat age but not its last load figures, which are stale.
struct FleetMetricsExporter {
    var snapshot: FleetMetricsSnapshot
    /// Long polls the coordinator holds open now.
    var openPolls: Int
    var now: Date
    var version = ShoalVersion.current

    func registry() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        set(registry, "shoal_build_info", "The running coordinator's version; always 1.", [("version", version)], 1)
        var nodeCounts: [NodeRecord.Status: Int] = [:]
        for node in snapshot.nodes { nodeCounts[node.status, default: 0] += 1 }
        for status in NodeRecord.Status.allCases {
            set(registry, "shoal_nodes", "Enrolled nodes by status.", [("status", status.rawValue)], Double(nodeCounts[status] ?? 0))
        }
        for status in RolloutStatus.allCases {
            set(registry, "shoal_rollouts", "Stored rollouts (tasks) by state; finished ones leave when retention prunes them.", [("state", status.rawValue)], Double(snapshot.rollouts[status] ?? 0))
        }
        for status in NodeTaskStatus.allCases {
            set(registry, "shoal_deliveries", "Stored deliveries (one node's part of a rollout) by state.", [("state", status.rawValue)], Double(snapshot.deliveries[status] ?? 0))
        }
        set(registry, "shoal_agent_long_polls_open", "Agent long polls the coordinator holds open, waiting for work.", [], Double(openPolls))
        for node in snapshot.nodes where node.status != .revoked {
            record(node, into: registry)
        }
        return registry
    }

    private func record(_ node: FleetMetricsSnapshot.Node, into registry: PrometheusCollectorRegistry) {
        let labels = [("node", node.id), ("hostname", node.hostname)]
        set(registry, "shoal_node_ready", "1 when the node is ready, 0 when it is down (no heartbeat within node_ttl and down_grace).", labels, node.status == .ready ? 1 : 0)
        set(registry, "shoal_node_labels", "The node's operator-set labels as label_<key> (dots and dashes become _); always 1. Join it on node to select by label.", labels + Self.promLabels(node.labels), 1)
        if let last = node.lastHeartbeatAt {
            set(registry, "shoal_node_heartbeat_age_seconds", "Seconds since the node's last heartbeat reached the coordinator.", labels, max(0, now.timeIntervalSince(last)))
        }
        guard node.status == .ready, let metrics = node.metrics else { return }
        for series in FleetMetricSeries.node {
            series.record(metrics, labels: labels, into: registry)
        }
        for check in metrics.checks ?? [] {
            set(registry, "shoal_node_check_healthy", "Latest result of each of the node's health checks (agent health_checks): 1 healthy, 0 not.", labels + [("check", check.name)], check.healthy ? 1 : 0)
        }
        for gpu in metrics.gpus ?? [] {
            let gpuLabels = labels + [("gpu", String(gpu.index))]
            if let uuid = gpu.uuid {
                set(registry, "shoal_gpu_info", "The GPU's UUID; always 1.", gpuLabels + [("uuid", uuid)], 1)
            }
            for series in FleetMetricSeries.gpu {
                series.record(gpu, labels: gpuLabels, into: registry)
            }
        }
    }

    private func set(_ registry: PrometheusCollectorRegistry, _ name: String, _ help: String, _ labels: [(String, String)], _ value: Double) {
        registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels).set(to: value)
    }

    /// User label keys as Prometheus label names, `label_` and the key with every character
    /// outside [A-Za-z0-9_] made `_` (kube-state-metrics does the same). Two keys that become
    /// the same name (`gpu.model`, `gpu-model`): the first in sorted order is kept.
    static func promLabels(_ labels: [String: String]) -> [(String, String)] {
        var seen = Set<String>()
        var result: [(String, String)] = []
        for key in labels.keys.sorted() {
            let name = "label_" + String(key.unicodeScalars.map { scalar in
                scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_") ? Character(scalar) : "_"
            })
            if seen.insert(name).inserted, let value = labels[key] { result.append((name, value)) }
        }
        return result
    }
}
