import Foundation
import ShoalClient
import ShoalCore
import ShoalTestSupport
import Testing

/// `GET /metrics` on a live coordinator with real agents, one of them on a GPU node whose
/// nvidia-smi replays the H200 capture: who may scrape, that promtool finds nothing to lint,
/// and that the values are what the agents sent.
@Suite struct MetricsTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ShoalAgentTests/Fixtures/nvidia-smi").path

    /// A directory holding an `nvidia-smi` that replays `scenario`, to put first on an agent's PATH.
    static func fakeGPUBin(_ fleet: TestFleet, scenario: String) throws -> String {
        let bin = fleet.root + "/fake-gpu-bin"
        try SecureFile.makeDirectory(bin)
        let script = "#!/bin/sh\nexec /bin/sh '\(fixtures)/fake-nvidia-smi.sh' '\(fixtures)/\(scenario)' \"$@\"\n"
        try SecureFile.write(script, to: bin + "/nvidia-smi", mode: 0o755)
        return bin
    }

    /// promtool's verdict on a scrape: its exit status and everything it printed.
    static func promtool(_ body: String, in fleet: TestFleet) throws -> CommandResult {
        let path = fleet.root + "/scrape.txt"
        try SecureFile.write(body, to: path, mode: 0o644)
        return try runCommand("/bin/sh", ["-c", "promtool check metrics < '\(path)'"])
    }

    @Test func prometheusScrapesTheFleetWithAViewerCertificateOrThePlainListener() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool"), "promtool is missing: scripts/install-test-deps.sh installs Debian's prometheus package")
        let metricsPort = freePort()
        try await TestFleet.with(configure: { $0.metricsListen = "127.0.0.1:\(metricsPort)" }) { fleet in
            try await fleet.startCoordinator()
            let token = try fleet.token(uses: 2, labels: ["env=lab"])
            try fleet.startAgent("cpu-1", token: token)
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
            try fleet.startAgent("gpu-1", token: token, environment: ["PATH": try Self.fakeGPUBin(fleet, scenario: "h200") + ":" + path])
            let ready = try await fleet.waitForReady(["cpu-1", "gpu-1"])
            let cpuNode = try #require(ready["cpu-1"])
            let gpuNode = try #require(ready["gpu-1"])
            let gpuHeartbeat = await eventually { (try? await fleet.admin().get("/v1/nodes/\(gpuNode.id)", as: NodeView.self))?.metrics?.gpus?.isEmpty == false }
            #expect(gpuHeartbeat, "the GPU agent's heartbeat never carried GPU figures:\n\(fleet.agents["gpu-1"]?.log ?? "")")

            let made = try fleet.cli(["operator", "create", "vera", "--role", "viewer", "--out", fleet.root + "/vera"])
            #expect(made.status == 0, "\(made.stderr)")
            let ca = fleet.dataDir + "/ca.crt"
            let viewer = ["--cacert", ca, "--cert", fleet.root + "/vera/vera.crt", "--key", fleet.root + "/vera/vera.key"]
            let scraped = try curl(viewer + ["-D", fleet.root + "/headers.txt", fleet.url + "/metrics"])
            #expect(scraped.code == 200, "\(scraped.body)")
            #expect(try String(contentsOfFile: fleet.root + "/headers.txt", encoding: .utf8).lowercased().contains("content-type: text/plain; version=0.0.4"))

            // promtool: a valid exposition, nothing to lint.
            let lint = try Self.promtool(scraped.body, in: fleet)
            #expect(lint.status == 0 && lint.stdout.isEmpty && lint.stderr.isEmpty, "promtool: \(lint.stdout)\(lint.stderr)")

            // The values are what the agents and the store say.
            let scrape = try PrometheusText(scraped.body)
            #expect(scrape.value("shoal_nodes", ["status": "ready"]) == 2)
            #expect(scrape.value("shoal_build_info", ["version": ShoalVersion.current]) == 1)
            let cpu = try await fleet.admin().get("/v1/nodes/\(cpuNode.id)", as: NodeView.self)
            let cpuLabels = ["node": cpuNode.id, "hostname": "cpu-1"]
            #expect(scrape.value("shoal_node_memory_total_bytes", cpuLabels) == cpu.metrics.map { Double($0.memoryTotalBytes) })
            #expect(scrape.value("shoal_node_root_disk_total_bytes", cpuLabels) == cpu.metrics.map { Double($0.rootDiskTotalBytes) })
            #expect(scrape.value("shoal_node_labels", cpuLabels.merging(["label_env": "lab"]) { $1 }) == 1)
            #expect((scrape.value("shoal_node_heartbeat_age_seconds", cpuLabels) ?? -1) >= 0)
            #expect(scrape.samples("shoal_gpu_temperature_celsius", ["node": cpuNode.id]).isEmpty, "no GPU on cpu-1")
            // GPU 0 of the H200 capture: 143771 MiB, 52 °C, 100 % busy, 627.40 W.
            let gpu = ["node": gpuNode.id, "hostname": "gpu-1", "gpu": "0"]
            #expect(scrape.value("shoal_gpu_memory_total_bytes", gpu) == Double(143_771 * 1_048_576))
            #expect(scrape.value("shoal_gpu_temperature_celsius", gpu) == 52)
            #expect(scrape.value("shoal_gpu_utilization_ratio", gpu) == 1)
            #expect(scrape.value("shoal_gpu_power_draw_watts", gpu) == 627.4)
            #expect(scrape.value("shoal_gpu_ecc_uncorrected_errors_total", gpu) == 0)
            #expect(scrape.value("shoal_gpu_info", gpu.merging(["uuid": "GPU-8f4e2a1b-77c3-4d0e-b6a9-0c5d3e2f1a48"]) { $1 }) == 1)
            // The coordinator's own series: agents' heartbeats by route, the store's time for them.
            let heartbeats = scrape.samples("shoal_http_requests_total", ["route": "/v1/agent/{node}/heartbeat", "method": "POST", "status": "200"])
            #expect((heartbeats.first?.value ?? 0) >= 2, "\(heartbeats)")
            #expect((scrape.value("shoal_db_operation_duration_seconds_count", ["operation": "recordHeartbeat"]) ?? 0) >= 2)
            #expect(scrape.value("shoal_agent_long_polls_open") != nil)

            // Node certificates may not scrape; nor may anyone without a certificate.
            let asNode = try curl(fleet.nodeCurl("cpu-1") + [fleet.url + "/metrics"])
            #expect(asNode.code == 403)
            #expect(asNode.body.contains("auth.forbidden"))
            let anonymous = try curl(["--cacert", ca, fleet.url + "/metrics"])
            #expect(anonymous.code == 401)
            #expect(anonymous.body.contains("auth.client_certificate_required"))

            // The plain listener: the same exposition without TLS, and no other route.
            let plainURL = "http://127.0.0.1:\(metricsPort)"
            var plain = (code: 0, body: "")
            _ = await eventually { plain = (try? curl([plainURL + "/metrics"])) ?? plain; return plain.code == 200 }
            #expect(plain.code == 200)
            #expect(fleet.coordinator?.log.contains("metrics listening on 127.0.0.1:\(metricsPort)") == true)
            #expect(try Self.promtool(plain.body, in: fleet).status == 0)
            #expect(try PrometheusText(plain.body).value("shoal_gpu_temperature_celsius", gpu) == 52)
            #expect(try curl([plainURL + "/v1/nodes"]).code == 404)
            #expect(try curl(["-X", "POST", plainURL + "/v1/tokens"]).code != 200)
        }
    }

    @Test func withoutMetricsListenThereIsNoPlainListener() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            let config = try CoordinatorConfig.parse(yaml: SecureFile.read(fleet.dataDir + "/coordinator.yaml"), source: "coordinator.yaml")
            #expect(config.metricsListen == nil)
            #expect(fleet.coordinator?.log.contains("metrics listening") == false)
            // The admin, like any operator, may scrape the API listener.
            #expect(try curl(fleet.adminCurl + [fleet.url + "/metrics"]).code == 200)
        }
    }
}
