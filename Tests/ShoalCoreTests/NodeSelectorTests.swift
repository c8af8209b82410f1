import ShoalCore
import Testing

@Suite("Node selectors")
struct NodeSelectorTests {
    static let gpuNode: [String: String] = ["role": "miner", "env": "staging", "gpu.count": "8", "os.release": "22.04", "cpu.count": "64"]

    func matches(_ selector: String, _ attributes: [String: String] = NodeSelectorTests.gpuNode) throws -> Bool {
        try NodeSelector(parsing: selector).matches { attributes[$0] }
    }

    @Test("each operator", arguments: [
        ("role=miner", true), ("role==miner", true), ("role=executor", false),
        ("env!=prod", true), ("env!=staging", false),
        ("role in (miner,executor)", true), ("role in (validator)", false),
        ("role notin (validator, executor)", true), ("role notin (miner)", false),
        ("gpu.count>=1", true), ("gpu.count>8", false), ("gpu.count<=8", true), ("gpu.count<9", true),
        ("os.release=22.04", true), ("os.release=22.4", false),
        ("cpu.count=64", true), ("cpu.count>=128", false),
    ])
    func operators(selector: String, expected: Bool) throws {
        #expect(try matches(selector) == expected)
    }

    @Test("comma means and; spaces are allowed; empty selects everything")
    func conjunction() throws {
        #expect(try matches("role=miner, gpu.count>=1,env!=prod"))
        #expect(try !matches("role=miner,gpu.count>=16"))
        #expect(try matches(""))
        #expect(try NodeSelector(parsing: "  ").terms.isEmpty)
    }

    @Test("a missing key matches only != and notin")
    func missingKeys() throws {
        #expect(try !matches("zone=eu"))
        #expect(try matches("zone!=eu"))
        #expect(try matches("zone notin (eu)"))
        #expect(try !matches("zone in (eu)"))
        #expect(try !matches("gpu.count>=1", ["role": "cpu"]))
    }

    @Test("the parsed form prints back")
    func description() throws {
        let selector = try NodeSelector(parsing: "role in (miner,executor),gpu.count>=1")
        #expect(selector.description == "role in (miner,executor),gpu.count>=1")
        #expect(selector.terms.count == 2)
    }

    @Test("bad expressions say where and what was expected", arguments: [
        ("role=", "expected a value"), ("=miner", "expected a label"), ("role", "expected an operator"),
        ("role in (a,b", "not closed"), ("role in a", "expected '('"), ("gpu.count>=many", "not a number"),
        ("role=a;env=b", "expected ','"), ("role in ()", "expected a value"),
    ])
    func errors(selector: String, mentions: String) {
        #expect {
            try NodeSelector(parsing: selector)
        } throws: { error in
            guard let error = error as? ShoalError else { return false }
            return error.code == .invalidArgument && error.message.contains(mentions) && error.message.contains("column")
        }
    }

    @Test("facts resolve before labels: a label can never shadow a fact")
    func facts() {
        let facts = NodeFacts(
            hostname: "gpu-1", osID: "ubuntu", osVersion: "22.04", osPrettyName: "Ubuntu 22.04", kernel: "6.8", architecture: "x86_64",
            cpuCount: 32, cpuModel: "EPYC", memoryBytes: 256 << 30, disks: [], agentVersion: "0.1.0"
        )
        func value(_ key: String, labels: [String: String] = [:]) -> String? {
            SelectorFacts.value(for: key, id: "n-1", hostname: "gpu-1", status: "ready", labels: labels, facts: facts)
        }
        #expect(value("os.release") == "22.04")
        #expect(value("cpu.count") == "32")
        #expect(value("memory.gib") == "256")
        #expect(value("arch") == "x86_64")
        #expect(value("status") == "ready")
        #expect(value("os.release", labels: ["os.release": "override"]) == "22.04")
        #expect(value("role", labels: ["role": "web"]) == "web")
        #expect(value("no.such.fact") == nil)
    }
}
