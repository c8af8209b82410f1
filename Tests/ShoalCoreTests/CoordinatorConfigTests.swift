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

    @Test("a missing field is config.invalid naming it")
    func missingField() {
        let error = #expect(throws: ShoalError.self) {
            try CoordinatorConfig.parse(yaml: "fleet_name: prod\n", source: "c.yaml")
        }
        #expect(error?.code == .configInvalid)
        #expect(error?.message.contains("missing field") == true)
    }
}
