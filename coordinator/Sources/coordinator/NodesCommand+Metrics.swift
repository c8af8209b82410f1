import ArgumentParser
import Foundation
import ShoalClient
import ShoalCoordinator
import ShoalCore

extension NodesCommand {
    struct Metrics: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A node's metric history: a row per minute (per hour beyond retention.metrics_minutes).",
            discussion: "GPU columns: mean utilisation, summed memory and power, the hottest GPU's temperature."
        )
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Node id.") var id: String
        @Option(help: "From: a duration back from now (30m, 6h, 7d) or an RFC 3339 time.") var since = "6h"
        @Option(help: "Until: a duration back from now or an RFC 3339 time (default: now).") var until: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await runReportingErrors {
                var parameters = [("since", Timestamp.format(try AuditCommand.time(since)))]
                if let until { parameters.append(("until", Timestamp.format(try AuditCommand.time(until, option: "--until")))) }
                let path = AuditCommand.path("/v1/nodes/\(APIPath.segment(id))/metrics", parameters)
                let history = try await connection.withClient { try await $0.get(path, as: MetricHistoryResponse.self) }
                if json { return try printJSON(history) }
                func optional(_ value: Double?, _ format: String) -> String { value.map { String(format: format, $0) } ?? "-" }
                let rows = history.points.map { point in
                    [
                        Timestamp.format(point.at), String(format: "%.1f", point.cpuPercent), String(format: "%.2f", point.load1),
                        "\(point.memoryUsedBytes / 1_048_576)/\(point.memoryTotalBytes / 1_048_576)",
                        "\(point.rootDiskUsedBytes >> 30)/\(point.rootDiskTotalBytes >> 30)", "\(point.gpuCount)",
                        optional(point.gpuUtilizationPercent, "%.0f"), point.gpuMemoryUsedMiB.map { "\($0)" } ?? "-",
                        optional(point.gpuTemperatureMaxC, "%.0f"), optional(point.gpuPowerDrawW, "%.0f"),
                    ]
                }
                print(TerminalText.escaped("\(history.hostname) (\(history.nodeID)), \(history.points.count) \(history.resolution.rawValue) point(s) from \(Timestamp.format(history.since)) to \(Timestamp.format(history.until))"))
                print(TablePrinter.render(
                    header: ["AT", "CPU%", "LOAD1", "MEM MiB", "DISK GiB", "GPUS", "GPU%", "GPU MEM MiB", "GPU MAX °C", "GPU W"], rows: rows
                ))
            }
        }
    }
}
