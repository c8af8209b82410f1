import Foundation
import ShoalCore
import Testing

@Suite("Coordinator config")
struct CoordinatorConfigTests {
    @Test("a config written by yamlText parses back to the same value")
    func roundTrip() throws {
        var config = CoordinatorConfig(fleetName: "prod", advertiseURL: "https://10.0.0.1:8443", listen: "0.0.0.0:8443")
        config.bundleExpiry = "2h"
        config.maxBodyBytes = 1024
        let text = try config.yamlText()
        #expect(text.contains("fleet_name: prod"))
        #expect(text.contains("node_certificate_validity: 90d"))
        let parsed = try CoordinatorConfig.parse(yaml: text, source: "coordinator.yaml")
        #expect(parsed == config)
        #expect(parsed.seconds(\.bundleExpiry) == 7200)
        #expect(parsed.seconds(\.nodeCertificateValidity) == 90 * 86400)
        #expect(parsed.seconds(\.heartbeatInterval) == 10)
    }

    @Test("a bad duration is config.invalid naming the field")
    func badDuration() throws {
        var config = CoordinatorConfig(fleetName: "prod", advertiseURL: "https://h:1", listen: "0.0.0.0:8443")
        config.nodeTTL = "forever"
        let error = #expect(throws: ShoalError.self) {
            try CoordinatorConfig.parse(yaml: try config.yamlText(), source: "coordinator.yaml")
        }
        #expect(error?.code == .configInvalid)
        #expect(error?.message.contains("node_ttl") == true)
        #expect(error?.message.contains("coordinator.yaml") == true)
    }

    @Test("a listen address that is not HOST:PORT is config.invalid")
    func badListen() throws {
        let config = CoordinatorConfig(fleetName: "prod", advertiseURL: "https://h:1", listen: "8443")
        let error = #expect(throws: ShoalError.self) {
            try CoordinatorConfig.parse(yaml: try config.yamlText(), source: "c.yaml")
        }
        #expect(error?.code == .configInvalid)
        #expect(error?.message.contains("listen") == true)
    }

    @Test("metrics_listen is absent by default, kept when set, and must be a HOST:PORT of its own")
    func metricsListen() throws {
        var config = CoordinatorConfig(fleetName: "prod", advertiseURL: "https://h:1", listen: "0.0.0.0:8443")
        #expect(try !config.yamlText().contains("metrics_listen"))
        #expect(try CoordinatorConfig.parse(yaml: try config.yamlText(), source: "c.yaml").metricsListen == nil)
        config.metricsListen = "127.0.0.1:9464"
        #expect(try config.yamlText().contains("metrics_listen: 127.0.0.1:9464"))
        #expect(try CoordinatorConfig.parse(yaml: try config.yamlText(), source: "c.yaml").metricsListen == "127.0.0.1:9464")
        for bad in ["9464", "0.0.0.0:8443"] {
            config.metricsListen = bad
            let error = #expect(throws: ShoalError.self) {
                try CoordinatorConfig.parse(yaml: try config.yamlText(), source: "c.yaml")
            }
            #expect(error?.code == .configInvalid)
            #expect(error?.message.contains("metrics_listen '\(bad)'") == true)
        }
    }

    @Test("a missing field is config.invalid naming it")
    func missingField() {
        let error = #expect(throws: ShoalError.self) {
            try CoordinatorConfig.parse(yaml: "fleet_name: prod\n", source: "c.yaml")
        }
        #expect(error?.code == .configInvalid)
        #expect(error?.message.contains("missing field") == true)
    }

    @Test("a config without retention gets the defaults; one with part of it keeps the rest")
    func retentionDefaults() throws {
        var config = CoordinatorConfig(fleetName: "prod", advertiseURL: "https://h:1", listen: "0.0.0.0:8443")
        config.retention = nil
        let old = try CoordinatorConfig.parse(yaml: try config.yamlText(), source: "c.yaml")
        #expect(old.retentionSettings == RetentionConfig())
        #expect(old.retentionSettings.outputsMaxBytes == 2 * 1024 * 1024 * 1024)
        #expect(old.retentionSettings.seconds(\.outputs) == 30 * 86400)
        let partial = try CoordinatorConfig.parse(yaml: try config.yamlText() + "retention:\n  outputs: 7d\n  node_events_per_node: 50\n", source: "c.yaml")
        #expect(partial.retentionSettings.seconds(\.outputs) == 7 * 86400)
        #expect(partial.retentionSettings.nodeEventsPerNode == 50)
        #expect(partial.retentionSettings.finishedTasks == "90d")
        // What init writes lists every key.
        let written = try CoordinatorConfig(fleetName: "prod", advertiseURL: "https://h:1", listen: "0.0.0.0:8443").yamlText()
        for key in ["interval", "finished_tasks", "results_max_bytes", "outputs", "outputs_max_bytes", "node_events", "node_events_per_node", "schedule_runs", "schedule_runs_per_schedule"] {
            #expect(written.contains("  \(key): "), "\(key) missing from\n\(written)")
        }
    }

    @Test("a bad retention value is config.invalid naming the key")
    func badRetention() throws {
        let config = CoordinatorConfig(fleetName: "prod", advertiseURL: "https://h:1", listen: "0.0.0.0:8443")
        for (yaml, key) in [("retention:\n  outputs: forever\n", "retention.outputs"), ("retention:\n  outputs_max_bytes: 0\n", "retention.outputs_max_bytes"), ("retention:\n  interval: 5s\n", "retention.interval")] {
            let written = try config.yamlText()
            let cut = try #require(written.range(of: "retention:"))
            let text = String(written[..<cut.lowerBound]) + yaml
            let error = #expect(throws: ShoalError.self) { try CoordinatorConfig.parse(yaml: text, source: "c.yaml") }
            #expect(error?.code == .configInvalid)
            #expect(error?.message.contains(key) == true, "\(error?.message ?? "")")
        }
    }
}
