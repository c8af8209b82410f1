import ArgumentParser
import Foundation
import ShoalClient
import ShoalCoordinator
import ShoalCore

struct NodesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "nodes", abstract: "Enrolled nodes.", subcommands: [List.self, Show.self, Metrics.self, Label.self, Revoke.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List nodes with status, labels, last heartbeat and GPU health.")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Only nodes this selector matches (e.g. 'role=compute,cpu.count>=8', 'gpu.health=ok'). Labels come from tokens and operators; facts and claimed.* labels are self-reported by each node.") var selector: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await runReportingErrors {
                var path = "/v1/nodes"
                if let selector {
                    _ = try NodeSelector(parsing: selector)
                    path += "?selector=" + (selector.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
                }
                let response = try await connection.withClient { try await $0.get(path, as: NodeListResponse.self) }
                if json { return try printJSON(response) }
                let now = Date()
                let rows = response.nodes.map { node in
                    [
                        node.id, node.hostname, node.status,
                        node.labels.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ","),
                        node.lastHeartbeatAt.map { "\(Int(now.timeIntervalSince($0)))s ago" } ?? "never",
                        node.facts.map { "\($0.osID) \($0.osVersion)" } ?? "",
                        // "-": no GPUs reported (selectors see gpu.health as absent).
                        GPUHealthJudge.nodeVerdict(node.metrics)?.state.rawValue ?? "-",
                    ]
                }
                print(TablePrinter.render(header: ["ID", "HOSTNAME", "STATUS", "LABELS", "HEARTBEAT", "OS", "GPU HEALTH"], rows: rows))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one node: facts, metrics (GPU health per GPU), labels.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Node id.") var id: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await runReportingErrors {
                let node = try await connection.withClient { try await $0.get("/v1/nodes/\(APIPath.segment(id))", as: NodeView.self) }
                if json { return try printJSON(node) }
                var lines = [
                    "id:         \(node.id)", "hostname:   \(node.hostname)", "status:     \(node.status)",
                    "labels:     \(node.labels.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ", "))",
                    "claimed:    \((node.claimedLabels ?? [:]).map { "claimed.\($0.key)=\($0.value)" }.sorted().joined(separator: ", ")) (self-reported by the node)",
                    "enrolled:   \(Timestamp.format(node.enrolledAt))",
                    "heartbeat:  \(node.lastHeartbeatAt.map(Timestamp.format) ?? "never")",
                ]
                if let url = node.coordinatorURL { lines.append("coordinator: \(url) (the URL the node says it uses)") }
                if let facts = node.facts {
                    lines.append("facts:      self-reported by the node; shown for convenience, not proof")
                    lines += [
                        "os:         \(facts.osPrettyName) (kernel \(facts.kernel), \(facts.architecture))",
                        "cpu:        \(facts.cpuCount) x \(facts.cpuModel)",
                        "memory:     \(facts.memoryBytes / 1_048_576) MiB", "agent:      \(facts.agentVersion)",
                    ]
                    if let gpu = facts.gpu, !gpu.devices.isEmpty {
                        let models = Dictionary(grouping: gpu.devices, by: { $0.model ?? "unknown model" }).map { "\($0.value.count) x \($0.key)" }.sorted()
                        let driver = gpu.driverLoaded ? "driver \(gpu.driverVersion ?? "?"), CUDA \(gpu.cudaVersion ?? "?")" : "driver not loaded: \(gpu.driverProblem ?? "")"
                        lines.append("gpu:        \(models.joined(separator: ", ")) (\(driver))")
                    }
                }
                if let metrics = node.metrics {
                    lines.append(String(format: "load:       cpu %.1f%%, load %.2f %.2f %.2f, memory %llu/%llu MiB, root disk %llu/%llu GiB",
                        metrics.cpuPercent, metrics.load1, metrics.load5, metrics.load15,
                        metrics.memoryUsedBytes / 1_048_576, metrics.memoryTotalBytes / 1_048_576,
                        metrics.rootDiskUsedBytes >> 30, metrics.rootDiskTotalBytes >> 30))
                    if let verdict = GPUHealthJudge.nodeVerdict(metrics) {
                        lines.append("gpu health: \(verdict.state.rawValue)" + (verdict.reason.map { " (\($0))" } ?? ""))
                    }
                    lines += (metrics.gpus ?? []).sorted { $0.index < $1.index }.map(Self.gpuLine)
                }
                if let disks = Self.diskLine(metrics: node.metrics, facts: node.facts) { lines.append(disks) }
                if let metrics = node.metrics {
                    for check in metrics.checks ?? [] {
                        let state = check.healthy ? "healthy" : "UNHEALTHY: \(check.message ?? "")"
                        lines.append("check:      \(check.name) (\(check.kind)) \(state), checked \(Timestamp.format(check.checkedAt))")
                    }
                }
                // Hostname, labels and facts are the node's word: escaped, one line each.
                print(lines.map(TerminalText.escaped).joined(separator: "\n"))
            }
        }

        /// `disks:      / 83/251 GiB free, /data 900/1862 GiB free`: free space from the metrics,
        /// or from the facts of an agent older than metric disks.
        static func diskLine(metrics: NodeMetrics?, facts: NodeFacts?) -> String? {
            let disks = metrics?.disks.map { $0.map { ($0.mount, $0.freeBytes, $0.totalBytes) } }
                ?? facts?.disks.compactMap { disk in disk.freeBytes.map { (disk.mount, $0, disk.totalBytes) } }
            guard let disks, !disks.isEmpty else { return nil }
            return "disks:      " + disks.map { "\($0.0) \($0.1 >> 30)/\($0.2 >> 30) GiB free" }.joined(separator: ", ")
        }

        /// `gpu 0:      failed, util 0%, 52 C, 627/700 W, SM 345 MHz, mem 3201 MHz, ECC uncorrected 2 (lifetime 2), XID 13,79 (3 events)`
        static func gpuLine(_ gpu: NodeMetrics.GPU) -> String {
            var parts = [gpu.healthState?.rawValue ?? GPUHealthJudge.judge(gpu).state.rawValue]
            if gpu.fallenOffBus == true { parts.append("lost from the bus") }
            if let value = gpu.utilizationPercent { parts.append(String(format: "util %.0f%%", value)) }
            if let used = gpu.memoryUsedMiB, let total = gpu.memoryTotalMiB { parts.append("memory \(used)/\(total) MiB") }
            if let value = gpu.temperatureC { parts.append(String(format: "%.0f C", value)) }
            if let draw = gpu.powerDrawW { parts.append(String(format: "%.0f", draw) + (gpu.powerLimitW.map { String(format: "/%.0f", $0) } ?? "") + " W") }
            if let sm = gpu.clockSMMHz { parts.append(String(format: "SM %.0f MHz", sm)) }
            if let memory = gpu.clockMemoryMHz { parts.append(String(format: "mem %.0f MHz", memory)) }
            if let volatile = gpu.eccUncorrectedVolatile {
                parts.append("ECC uncorrected \(volatile)" + (gpu.eccUncorrectedAggregate.map { " (lifetime \($0))" } ?? ""))
            }
            if let codes = gpu.xidCodes, !codes.isEmpty {
                parts.append("XID \(codes.map(String.init).joined(separator: ",")) (\(gpu.xidCount ?? 0) events)")
            }
            if let reasons = gpu.throttleReasons, !reasons.isEmpty { parts.append("clock events \(reasons.joined(separator: ","))") }
            let label = "gpu \(gpu.index):"
            return label.padding(toLength: max(12, label.count + 1), withPad: " ", startingAt: 0) + parts.joined(separator: ", ")
        }
    }

    struct Label: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set labels (k=v) and remove them (k-) on a node.",
            discussion: "Labels select work. Fact names (id, hostname, status, kernel, arch, os.*, cpu.*, memory.*, gpu.*, agent.*, disk.*) and claimed.*/shoal.* are reserved."
        )
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Node id.") var id: String
        @Argument(help: "k=v to set, k- to remove.") var changes: [String]
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await runReportingErrors {
                guard !changes.isEmpty else { throw ShoalError(.invalidArgument, "give at least one k=v or k-") }
                let remove = changes.filter { $0.hasSuffix("-") && !$0.contains("=") }.map { String($0.dropLast()) }
                let set = try LabelText.parse(changes.filter { !($0.hasSuffix("-") && !$0.contains("=")) })
                let signer = try connection.signer()
                let node = try await connection.withClient { client in
                    // The whole new label set, signed as the next version of the node's labels.
                    let current = try await client.get("/v1/nodes/\(APIPath.segment(id))", as: NodeView.self)
                    var labels = current.labels
                    for (key, value) in set { labels[key] = value }
                    for key in remove { labels.removeValue(forKey: key) }
                    let statement = try signer.signLabels(nodeID: current.id, labels: labels, currentVersion: current.labelsVersion ?? 0)
                    return try await client.post("/v1/nodes/\(current.id)/labels", body: statement, as: NodeView.self)
                }
                if json { return try printJSON(node) }
                print(TerminalText.escaped("\(node.id): \(node.labels.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ","))"))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a node: its certificate is refused from its next request; its queued work is cancelled.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Node id.") var id: String

        func run() async throws {
            try await runReportingErrors {
                let node = try await connection.withClient { try await $0.post("/v1/nodes/\(APIPath.segment(id))/revoke", body: [String: String](), as: NodeView.self) }
                print("\(node.id) (\(TerminalText.escaped(node.hostname))) revoked; enroll it again with a new token to bring it back")
            }
        }
    }
}
