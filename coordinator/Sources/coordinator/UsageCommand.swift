import ArgumentParser
import Foundation
import ShoalClient
import ShoalCoordinator
import ShoalCore

/// Usage for billing, metered as provider daemons meter it: per node (or label value), the
/// hours it was up, GPU-hours, busy CPU core-hours and memory GiB-hours, from the hourly sums
/// of the metric history.
struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Node-hours, GPU-hours, CPU core-hours and memory GiB-hours per node or per label value.",
        discussion: "The period is taken in whole UTC hours (since rounded down, until rounded up). A node counts as up in each minute with a heartbeat. Grouping uses each node's current labels. Kept for retention.metrics_hours (90 days by default)."
    )
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "From: a duration back from now (24h, 30d) or an RFC 3339 time.") var since = "30d"
    @Option(help: "Until: a duration back from now or an RFC 3339 time (default: now).") var until: String?
    @Option(name: .customLong("group-by"), help: "Sum per value of this label instead of per node.") var groupBy: String?
    @Flag(help: "Print CSV.") var csv = false
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await runReportingErrors {
            guard !(csv && json) else { throw ShoalError(.invalidArgument, "choose one of --csv and --json") }
            var parameters = [("since", Timestamp.format(try AuditCommand.time(since)))]
            if let until { parameters.append(("until", Timestamp.format(try AuditCommand.time(until, option: "--until")))) }
            if let groupBy { parameters.append(("groupBy", groupBy)) }
            let usage = try await connection.withClient { try await $0.get(AuditCommand.path("/v1/usage", parameters), as: UsageResponse.self) }
            if json { return try printJSON(usage) }
            let keyName = usage.groupBy ?? "node"
            let rows = usage.rows.map { row in
                [row.key, row.hostname ?? "", "\(row.nodes)", Self.figure(row.nodeHours), Self.figure(row.gpuHours), Self.figure(row.cpuCoreHours), Self.figure(row.memoryGiBHours)]
            }
            if csv {
                print(Self.csvLine([keyName, "hostname", "nodes", "node_hours", "gpu_hours", "cpu_core_hours", "memory_gib_hours", "period_start", "period_end"]))
                for row in rows { print(Self.csvLine(row + [Timestamp.format(usage.since), Timestamp.format(usage.until)])) }
                return
            }
            print("usage from \(Timestamp.format(usage.since)) to \(Timestamp.format(usage.until))")
            print(TablePrinter.render(
                header: [keyName.uppercased(), "HOSTNAME", "NODES", "NODE-H", "GPU-H", "CPU-CORE-H", "MEM-GIB-H"],
                rows: rows.map { $0.map(TerminalText.escaped) }
            ))
        }
    }

    static func figure(_ value: Double) -> String { String(format: "%.3f", value) }

    /// RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled. A field
    /// a spreadsheet would run as a formula (`=`, `+`, `-`, `@`) gets a leading quote mark.
    static func csvLine(_ fields: [String]) -> String {
        fields.map { field in
            var text = field
            if let first = text.first, "=+-@\t\r".contains(first), Double(text) == nil { text = "'" + text }
            guard text.contains(where: { ",\"\n\r".contains($0) }) else { return text }
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }.joined(separator: ",")
    }
}
