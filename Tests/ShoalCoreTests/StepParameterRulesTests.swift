import Foundation
import ShoalCore
import Testing

@Suite("Step parameter rules")
struct StepParameterRulesTests {
    func command(_ params: [String: JSONValue], name: String = "work") -> StepSpec {
        StepSpec(kind: "command", name: name, params: .object(params))
    }

    func refusal(_ step: StepSpec, deferTemplates: Bool = false) -> ShoalError? {
        #expect(throws: ShoalError.self) { try StepParameterRules.validate(step, deferTemplates: deferTemplates) }
    }

    @Test("a step timeout of -1, 0 or 2^31 is step.invalid naming the field and the value", arguments: [-1.0, 0, 2_147_483_648, 1.5])
    func badTimeouts(timeout: Double) {
        let error = refusal(command(["script": .string("true"), "timeoutSeconds": .number(timeout)]))
        #expect(error?.code == .stepInvalid)
        #expect(error?.message.contains("'timeoutSeconds'") == true)
        #expect(error?.message.contains("step 'work' (command)") == true)
    }

    @Test("timeouts within 1...604800, also as numeric text, pass")
    func goodTimeouts() throws {
        for value: JSONValue in [.number(1), .number(604_800), .string("30")] {
            try StepParameterRules.validate(command(["script": .string("true"), "timeoutSeconds": value]))
        }
    }

    @Test("a numeric script is refused rather than turned into text")
    func numericScript() {
        let error = refusal(command(["script": .number(42)]))
        #expect(error?.code == .stepInvalid)
        #expect(error?.message.contains("'script' must be text") == true)
    }

    @Test("a command needs exactly one of argv and script")
    func argvOrScript() throws {
        #expect(refusal(command([:]))?.message.contains("has none") == true)
        #expect(refusal(command(["argv": .array([.string("ls")]), "script": .string("ls")]))?.message.contains("argv and script") == true)
        #expect(refusal(command(["script": .string("")]))?.code == .stepInvalid)
        try StepParameterRules.validate(command(["argv": .array([.string("ls")])]))
    }

    @Test("a template is left to the agent at the coordinator, and checked once rendered")
    func templates() throws {
        let templated = command(["script": .string("true"), "timeoutSeconds": .string("{{ timeout }}")])
        try StepParameterRules.validate(templated, deferTemplates: true)
        #expect(refusal(templated)?.message.contains("'timeoutSeconds'") == true)
    }

    @Test("other kinds' bounds: health_check retries, apt lock timeout; unknown kinds have none")
    func otherKinds() throws {
        let health = StepSpec(kind: "health_check", params: .object(["tcp": .object(["port": .number(22)]), "retries": .number(-1)]))
        #expect(refusal(health)?.message.contains("'retries'") == true)
        let apt = StepSpec(kind: "apt", params: .object(["packages": .array([.string("curl")]), "lockTimeoutSeconds": .number(-5)]))
        #expect(refusal(apt)?.message.contains("'lockTimeoutSeconds'") == true)
        try StepParameterRules.validate(StepSpec(kind: "file", params: .object(["path": .string("/x"), "mode": .number(644)])))
    }
}
