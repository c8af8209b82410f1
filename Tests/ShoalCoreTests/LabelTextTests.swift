import ShoalCore
import Testing

@Suite("Label text")
struct LabelTextTests {
    @Test("comma-separated and repeated pairs parse into one dictionary")
    func parses() throws {
        #expect(try LabelText.parse(["a=b,c=d"]) == ["a": "b", "c": "d"])
        #expect(try LabelText.parse(["role=web", "zone = eu-1"]) == ["role": "web", "zone": "eu-1"])
        #expect(try LabelText.parse(["k8s.io/role=node", "empty="]) == ["k8s.io/role": "node", "empty": ""])
        #expect(try LabelText.parse([]) == [:])
    }

    @Test("a later value for the same key wins")
    func lastWins() throws {
        #expect(try LabelText.parse(["a=1", "a=2"]) == ["a": "2"])
    }

    @Test("a pair without '=' is request.invalid_argument naming it")
    func missingEquals() {
        let error = #expect(throws: ShoalError.self) { try LabelText.parse(["a=b,justakey"]) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("'justakey'") == true)
    }

    @Test("bad keys are refused", arguments: ["=v", "sp ace=v", "ü=v", "a:b=v", String(repeating: "k", count: 64) + "=v"])
    func badKeys(pair: String) {
        let error = #expect(throws: ShoalError.self) { try LabelText.parse([pair]) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("label key") == true)
    }

    @Test("a 63-character key is the longest allowed")
    func longestKey() throws {
        let key = String(repeating: "k", count: 63)
        #expect(try LabelText.parse([key + "=v"]) == [key: "v"])
    }

    @Test("values may not contain '=' or exceed 253 characters")
    func badValues() {
        #expect(throws: ShoalError.self) { try LabelText.parse(["a=b=c"]) }
        #expect(throws: ShoalError.self) { try LabelText.validate(key: "a", value: String(repeating: "v", count: 254)) }
        #expect(throws: Never.self) { try LabelText.validate(key: "a", value: String(repeating: "v", count: 253)) }
        #expect(throws: ShoalError.self) { try LabelText.validate(key: "a", value: "x,y") }
    }
}

@Suite("Label authority")
struct LabelAuthorityTextTests {
    @Test("fact and built-in names are reserved as label keys", arguments: [
        "id", "hostname", "status", "kernel", "arch", "os", "os.release", "cpu.count", "memory.gib", "gpu.count", "gpu.model",
        "gpu.anything.new", "agent.version", "disk.root", "claimed", "claimed.env", "shoal.internal",
    ])
    func reserved(key: String) {
        let error = #expect(throws: ShoalError.self) { try LabelText.validate(key: key, value: "x") }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("reserved") == true)
    }

    @Test("names that only look like facts are fine", arguments: ["gpus", "gpu_pool", "osx", "site.gpu.count", "env", "k8s.io/role"])
    func notReserved(key: String) throws {
        try LabelText.validate(key: key, value: "x")
    }

    @Test("values with control or format characters are refused", arguments: ["a\u{1b}[2Jb", "line\rbreak", "nul\u{0}", "bell\u{7}", "rtl\u{202e}txt", "del\u{7f}"])
    func controlCharacters(value: String) {
        let error = #expect(throws: ShoalError.self) { try LabelText.validate(key: "site", value: value) }
        #expect(error?.message.contains("control characters") == true)
    }

    @Test("selectors resolve facts before labels, and claimed labels only under claimed.")
    func resolution() {
        var facts = NodeFacts(
            hostname: "real", osID: "debian", osVersion: "12", osPrettyName: "Debian", kernel: "6.1", architecture: "x86_64",
            cpuCount: 4, cpuModel: "cpu", memoryBytes: 8 << 30, disks: [], agentVersion: "1"
        )
        facts.gpu = nil
        // Labels stored before the rule could hold fact names: they must not win.
        let labels = ["gpu.count": "8", "hostname": "fake", "env": "prod"]
        let claimed = ["env": "staging", "zone": "eu-1"]
        func value(_ key: String) -> String? {
            SelectorFacts.value(for: key, id: "n-1", hostname: "real", status: "ready", labels: labels, claimedLabels: claimed, facts: facts)
        }
        #expect(value("gpu.count") == "0")
        #expect(value("hostname") == "real")
        #expect(value("env") == "prod")
        #expect(value("claimed.env") == "staging")
        #expect(value("zone") == nil)
        #expect(value("claimed.zone") == "eu-1")
        let selector = try? NodeSelector(parsing: "env=staging")
        #expect(selector?.matches(value) == false)
    }
}
