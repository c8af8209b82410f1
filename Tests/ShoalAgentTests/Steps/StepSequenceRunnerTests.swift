import Foundation
import ShoalAgent
import ShoalCore
import Testing

/// The loop behind bundles and `agent apply`: when, notify/handlers, rendering, stop at failure.
@Suite("Step sequence runner and agent apply")
struct StepSequenceRunnerTests {
    let dir: TemporaryDirectory
    init() throws { dir = try TemporaryDirectory() }

    func runner(_ steps: [StepSpec], handlers: [StepSpec] = [], check: Bool = false, labels: [String: String] = [:], vars: [String: JSONValue] = [:]) -> StepSequenceRunner {
        StepSequenceRunner(
            steps: steps, handlers: handlers, checkMode: check, template: TemplateContext(nodeID: "n-1", vars: vars, labels: labels, facts: FactsCollector().collect()),
            bundleID: "b", outputDirectory: dir.path, timeoutSeconds: 60
        )
    }

    func file(_ name: String, _ content: String, notify: [String]? = nil, when: String? = nil) -> StepSpec {
        StepSpec(kind: "file", name: name, params: .object(["path": .string(dir.file(name)), "content": .string(content)]), when: when, notify: notify)
    }

    func touch(_ name: String, handler: String) -> StepSpec {
        StepSpec(kind: "command", name: handler, params: .object(["script": .string("echo ran >> '\(dir.file(name))'")]))
    }

    @Test("a handler runs once, after the steps, only when a notifying step changed")
    func handlers() async throws {
        let steps = [file("a", "1\n", notify: ["h"]), file("b", "1\n", notify: ["h"])]
        let first = await runner(steps, handlers: [touch("ran", handler: "h")]).run()
        #expect(first.status == .succeeded)
        #expect(first.steps.map(\.name) == ["a", "b", "h"])
        #expect(dir.lines("ran") == ["ran"])
        let second = await runner(steps, handlers: [touch("ran", handler: "h")]).run()
        #expect(second.steps.map(\.status) == [.unchanged, .unchanged])
        #expect(dir.lines("ran") == ["ran"])
    }

    @Test("when: a false condition skips the step; labels and facts both answer")
    func when() async throws {
        let steps = [file("gpu", "x", when: "gpu.count>0"), file("web", "x", when: "role=web"), file("cpus", "x", when: "cpu.count>=1")]
        let outcome = await runner(steps, labels: ["role": "db"]).run()
        #expect(outcome.steps.map(\.status) == [.skipped, .skipped, .changed])
        #expect(!dir.exists("gpu") && !dir.exists("web") && dir.exists("cpus"))
    }

    @Test("string parameters are rendered; check mode changes nothing and still reports notified handlers")
    func renderAndCheck() async throws {
        let steps = [StepSpec(kind: "file", name: "f", params: .object(["path": .string(dir.file("{{name}}.conf")), "content": .string("v={{value}}\n")]), notify: ["h"])]
        let check = await runner(steps, handlers: [touch("ran", handler: "h")], check: true, vars: ["name": .string("app"), "value": .number(3)]).run()
        #expect(check.steps.map(\.status) == [.changed, .unknown])
        #expect(check.steps[0].diff?.contains("+v=3") == true)
        #expect(!dir.exists("app.conf") && !dir.exists("ran"))
        let apply = await runner(steps, handlers: [touch("ran", handler: "h")], vars: ["name": .string("app"), "value": .number(3)]).run()
        #expect(apply.status == .succeeded)
        #expect(dir.lines("app.conf") == ["v=3"])
    }

    @Test("the first failure stops the run; later steps and handlers do not run")
    func stopsAtFailure() async throws {
        let steps = [file("a", "1", notify: ["h"]), StepSpec(kind: "command", name: "boom", params: .object(["script": .string("exit 3")])), file("c", "1")]
        let outcome = await runner(steps, handlers: [touch("ran", handler: "h")]).run()
        #expect(outcome.status == .failed)
        #expect(outcome.errorCode == .stepFailed)
        #expect(outcome.steps.map(\.name) == ["a", "boom"])
        #expect(!dir.exists("c") && !dir.exists("ran"))
    }

    @Test("agent apply runs a task file with a carried file, --var and labels, and reports per step")
    func localRun() async throws {
        try dir.write("files/motd", "welcome\n")
        let task = try dir.write("task.yaml", """
            name: local
            vars: { greeting: hello }
            steps:
              - name: motd
                file: { path: \(dir.file("motd")), source: files/motd }
              - name: greeting
                file: { path: \(dir.file("greeting")), content: "{{greeting}} {{labels.role}}\\n" }
            """)
        let report = try await LocalTaskRun(path: task, checkMode: false, overrides: ["greeting": .string("hi")], labels: ["role": "web"]).run()
        #expect(report.status == .succeeded)
        #expect(report.steps.map(\.status) == [.changed, .changed])
        #expect(dir.lines("motd") == ["welcome"])
        #expect(dir.lines("greeting") == ["hi web"])
        let again = try await LocalTaskRun(path: task, checkMode: true, overrides: ["greeting": .string("hi")], labels: ["role": "web"]).run()
        #expect(again.steps.map(\.status) == [.unchanged, .unchanged])
    }

    @Test("every kind a task file may name has an implementation in the agent")
    func registryCoversKinds() {
        #expect(Set(StepRegistry.kinds.keys) == StepKinds.known)
    }
}
