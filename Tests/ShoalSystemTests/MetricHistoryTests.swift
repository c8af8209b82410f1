import Foundation
import ShoalCore
import Testing

/// A live agent's heartbeats become its metric history and its usage, as the CLI shows them.
extension SystemTests {
@Suite(.serialized)
struct MetricHistoryTests {
    @Test func heartbeatsBecomeMetricHistoryAndUsage() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("meter", token: try fleet.token(labels: ["team=ml"]))
            let node = try #require(try await fleet.waitForReady(["meter"])["meter"])

            // The history holds what the heartbeats said: the latest point's totals are the node's.
            var history: MetricHistoryResponse?
            #expect(await eventually {
                guard let result = try? fleet.cli(["nodes", "metrics", node.id, "--json"]), result.status == 0 else { return false }
                history = try? WireCoding.decode(MetricHistoryResponse.self, from: Data(result.stdout.utf8))
                return history?.points.isEmpty == false
            })
            let latest = try #require(try await fleet.nodes().first { $0.id == node.id }?.metrics)
            let point = try #require(history?.points.last)
            #expect(history?.resolution == .minute && history?.hostname == node.hostname)
            #expect(point.memoryTotalBytes == latest.memoryTotalBytes && point.rootDiskTotalBytes == latest.rootDiskTotalBytes)
            #expect(point.minutes == 1 && point.gpuCount == 0)
            let table = try fleet.cli(["nodes", "metrics", node.id])
            #expect(table.status == 0 && table.stdout.contains("minute point(s)") && table.stdout.contains("CPU%"), "\(table.stdout)")

            // Usage counts each minute with a heartbeat, per node or per label value.
            let usage = try fleet.cli(["usage", "--since", "1h", "--group-by", "team", "--json"])
            #expect(usage.status == 0, "\(usage.stderr)")
            let grouped = try WireCoding.decode(UsageResponse.self, from: Data(usage.stdout.utf8))
            let row = try #require(grouped.rows.first)
            #expect(grouped.rows.count == 1 && row.key == "ml" && row.nodes == 1 && grouped.groupBy == "team")
            #expect(row.nodeHours >= 1.0 / 60 && row.nodeHours <= 2.0 / 60 && row.gpuHours == 0)
            let csv = try fleet.cli(["usage", "--since", "1h", "--csv"])
            let lines = csv.stdout.split(separator: "\n")
            #expect(csv.status == 0 && lines.first == "node,hostname,nodes,node_hours,gpu_hours,cpu_core_hours,memory_gib_hours,period_start,period_end")
            #expect(lines.count == 2 && lines.last?.hasPrefix("\(node.id),\(node.hostname),1,") == true, "\(csv.stdout)")

            // Bad ranges are refused with a clear error.
            let backwards = try fleet.cli(["usage", "--since", "1h", "--until", "2h"])
            #expect(backwards.status != 0 && backwards.stderr.contains("must be before until"), "\(backwards.stderr)")
            let nonsense = try fleet.cli(["nodes", "metrics", node.id, "--since", "yesterday"])
            #expect(nonsense.status != 0 && nonsense.stderr.contains("--since takes a duration"), "\(nonsense.stderr)")
            let unknown = try fleet.cli(["nodes", "metrics", "n-nothere"])
            #expect(unknown.status != 0 && unknown.stderr.contains("no node n-nothere"), "\(unknown.stderr)")
        }
    }
}
}
