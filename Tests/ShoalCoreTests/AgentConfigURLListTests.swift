import Foundation
import ShoalCore
import Testing

@Suite("Agent config coordinator URLs")
struct AgentConfigURLListTests {
    func refusal(_ yaml: String) -> ShoalError? {
        #expect(throws: ShoalError.self) { try AgentConfig.parse(yaml: yaml, source: "agent.yaml") }
    }

    @Test("coordinator_urls lists several URLs, kept in order")
    func list() throws {
        let config = try AgentConfig.parse(yaml: """
            coordinator_urls:
              - https://c1.example:8443
              - https://10.0.0.2:8443
            state_dir: /tmp/s
            """)
        #expect(config.coordinatorURLList == ["https://c1.example:8443", "https://10.0.0.2:8443"])
        #expect(config.coordinatorURL == nil)
    }

    @Test("coordinator_url alone is still one URL")
    func single() throws {
        let config = try AgentConfig.parse(yaml: "coordinator_url: https://c.example:8443\nstate_dir: /tmp/s\n")
        #expect(config.coordinatorURLList == ["https://c.example:8443"])
    }

    @Test("both keys at once are refused with a message saying to keep one")
    func both() {
        let error = refusal("coordinator_url: https://a:1\ncoordinator_urls: [https://b:1]\nstate_dir: /tmp/s\n")
        #expect(error?.code == .configInvalid)
        #expect(error?.message.contains("keep one") == true)
        #expect(error?.message.contains("agent.yaml") == true)
    }

    @Test("a bad entry is refused naming its position; empty and repeated lists too",
          arguments: [
              ("coordinator_urls: [https://a:1, http://b:1]", "coordinator_urls[1]"),
              ("coordinator_urls: [https://a:1, b:1]", "coordinator_urls[1]"),
              ("coordinator_urls: []", "coordinator_urls is empty"),
              ("coordinator_urls: [https://a:1, https://a:1]", "twice"),
          ])
    func badEntry(line: String, expected: String) {
        let error = refusal(line + "\nstate_dir: /tmp/s\n")
        #expect(error?.code == .configInvalid)
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
    }

    @Test("a URL longer than a heartbeat may carry is refused")
    func tooLong() {
        let long = "https://" + String(repeating: "a", count: HeartbeatRequest.maxCoordinatorURLBytes) + ":1"
        let error = refusal("coordinator_urls: [https://a:1, \(long)]\nstate_dir: /tmp/s\n")
        #expect(error?.message.contains("longer than") == true)
    }

    @Test("written from a list: one URL as coordinator_url (as before), more as coordinator_urls")
    func writing() throws {
        let one = try AgentConfig(coordinatorURLs: ["https://a:1"], stateDir: "/tmp/s").yamlText()
        let asBefore = try AgentConfig(coordinatorURL: "https://a:1", stateDir: "/tmp/s").yamlText()
        #expect(one == asBefore)
        #expect(one.contains("coordinator_url: https://a:1") && !one.contains("coordinator_urls"))
        let two = AgentConfig(coordinatorURLs: ["https://a:1", "https://b:2"], stateDir: "/tmp/s")
        let text = try two.yamlText()
        #expect(text.contains("coordinator_urls:") && !text.contains("coordinator_url:"))
        #expect(try AgentConfig.parse(yaml: text).coordinatorURLList == ["https://a:1", "https://b:2"])
    }
}
