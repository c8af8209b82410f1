import Foundation
import ShoalCore
import Testing

@Suite("Agent config")
struct AgentConfigTests {
    static let good = """
        coordinator_url: https://10.0.0.1:8443
        state_dir: /var/lib/shoal-agent
        ca_file: /etc/shoal/ca.pem
        join_token: shoal_abc123
        heartbeat_interval: 30s
        poll_wait: 1m
        node_name: web-01
        labels:
          role: compute
          zone: eu-1
        """

    func refusal(_ yaml: String) -> ShoalError? {
        #expect(throws: ShoalError.self) { try AgentConfig.parse(yaml: yaml, source: "agent.yaml") }
    }

    @Test("a good config parses every snake_case key")
    func parsesGood() throws {
        let config = try AgentConfig.parse(yaml: Self.good)
        #expect(config.coordinatorURL == "https://10.0.0.1:8443")
        #expect(config.stateDir == "/var/lib/shoal-agent")
        #expect(config.caFile == "/etc/shoal/ca.pem")
        #expect(config.joinToken == "shoal_abc123")
        #expect(config.heartbeatInterval == "30s")
        #expect(try config.heartbeatSeconds == 30)
        #expect(config.pollWait == "1m")
        #expect(try config.pollWaitSeconds == 60)
        #expect(config.nodeName == "web-01")
        #expect(config.labels == ["role": "compute", "zone": "eu-1"])
        #expect(config.caFingerprint == nil)
    }

    @Test("defaults apply when intervals are left out")
    func defaults() throws {
        let config = try AgentConfig.parse(yaml: "coordinator_url: https://c.example:8443\nstate_dir: /tmp/s\n")
        #expect(try config.heartbeatSeconds == 10)
        #expect(try config.pollWaitSeconds == 25)
        #expect(config.labels == nil)
    }

    @Test("a config survives a round trip through its YAML text")
    func roundTrip() throws {
        let config = try AgentConfig.parse(yaml: Self.good)
        let text = try config.yamlText()
        #expect(text.contains("coordinator_url:"))
        #expect(try AgentConfig.parse(yaml: text) == config)
    }

    @Test("a non-https coordinator URL is config.invalid and the message names the field",
          arguments: ["http://10.0.0.1:8443", "10.0.0.1:8443", "https://", "ftp://host"])
    func refusesNonHTTPS(url: String) {
        let error = refusal(Self.good.replacingOccurrences(of: "https://10.0.0.1:8443", with: url))
        #expect(error?.code == .configInvalid)
        #expect(error?.message.contains("coordinator_url") == true)
        #expect(error?.message.contains("agent.yaml") == true)
    }

    @Test("a bad duration is config.invalid and says what was wrong")
    func refusesBadDuration() {
        let error = refusal(Self.good.replacingOccurrences(of: "heartbeat_interval: 30s", with: "heartbeat_interval: soon"))
        #expect(error?.code == .configInvalid)
        #expect(error?.message.contains("soon") == true)
        let poll = refusal(Self.good.replacingOccurrences(of: "poll_wait: 1m", with: "poll_wait: 5x"))
        #expect(poll?.code == .configInvalid)
        #expect(poll?.message.contains("5x") == true)
    }

    @Test("a heartbeat interval under a second is refused")
    func refusesZeroHeartbeat() {
        let error = refusal(Self.good.replacingOccurrences(of: "heartbeat_interval: 30s", with: "heartbeat_interval: 0s"))
        #expect(error?.code == .configInvalid)
        #expect(error?.message.contains("heartbeat_interval") == true)
    }

    @Test("a missing coordinator_url is config.invalid naming the field")
    func refusesMissingURL() {
        let error = refusal("state_dir: /var/lib/shoal-agent\n")
        #expect(error?.code == .configInvalid)
        #expect(error?.message.contains("coordinator_url") == true)
    }

    @Test("an empty state_dir is refused")
    func refusesEmptyStateDir() {
        let error = refusal("coordinator_url: https://c:1\nstate_dir: \"\"\n")
        #expect(error?.code == .configInvalid)
        #expect(error?.message.contains("state_dir") == true)
    }

    @Test("text that is not YAML is config.invalid")
    func refusesNotYAML() {
        #expect(refusal("coordinator_url: [unclosed\n")?.code == .configInvalid)
    }
}
