import Foundation
import ShoalCore
import ShoalTestSupport
import Testing

/// Task files through the whole system: `coordinator task run --file` compiles the YAML,
/// carries files by hash, and real agents render templates with their own facts and labels,
/// skip steps by `when`, run notified handlers once, and group identical check-mode diffs.
extension SystemTests {
@Suite(.serialized)
struct TaskFileTests {
    func fleetWithNodes(_ fleet: TestFleet) async throws -> [String: NodeView] {
        try await fleet.startCoordinator()
        let canary = try fleet.token(uses: 1, labels: ["pool=files", "tier=canary"])
        let main = try fleet.token(uses: 2, labels: ["pool=files", "tier=main"])
        try fleet.startAgent("f1", token: canary)
        try fleet.startAgent("f2", token: main)
        try fleet.startAgent("f3", token: main)
        return try await fleet.waitForReady(["f1", "f2", "f3"])
    }

    func run(_ fleet: TestFleet, _ arguments: [String]) async throws -> TaskView {
        let result = try fleet.cli(["task", "run", "--selector", "pool=files", "--json"] + arguments)
        guard result.status == 0, let view = try? WireCoding.decode(TaskView.self, from: Data(result.stdout.utf8)) else {
            throw ShoalError(.internalError, "task run failed (\(result.status)): \(result.stdout) \(result.stderr)")
        }
        return try await fleet.waitForTask(view.id, timeout: 60)
    }

    @Test func checkModeChangesNothingAndGroupsIdenticalDiffs() async throws {
        try await TestFleet.with { fleet in
            _ = try await fleetWithNodes(fleet)
            let shared = fleet.root + "/shared.conf"
            let task = fleet.root + "/check.yaml"
            try """
                name: check grouping
                steps:
                  - name: shared config
                    file: { path: \(shared), content: "limit=10\\n" }
                  - name: canary only
                    file: { path: \(fleet.root)/canary.conf, content: "x\\n" }
                    when: tier=canary
                """.write(toFile: task, atomically: true, encoding: .utf8)
            let view = try await run(fleet, ["--file", task, "--check"])
            #expect(view.status == .succeeded)
            #expect(view.checkMode)
            #expect(view.checkGroups.map(\.count) == [2, 1])
            let main = try #require(view.checkGroups.first)
            #expect(main.report.contains("+limit=10"))
            #expect(main.report.contains("canary only: skipped"))
            #expect(view.checkGroups.last?.report.contains("canary only: changed") == true)
            #expect(!FileManager.default.fileExists(atPath: shared))
            #expect(!FileManager.default.fileExists(atPath: fleet.root + "/canary.conf"))

            // The human summary says the same.
            let status = try fleet.cli(["task", "status", view.id])
            #expect(status.stdout.contains("2 nodes"))
        }
    }

    @Test func aTaskFileRendersPerNodeCarriesFilesAndRunsHandlersOnlyOnChange() async throws {
        try await TestFleet.with { fleet in
            let nodes = try await fleetWithNodes(fleet)
            try FileManager.default.createDirectory(atPath: fleet.root + "/files", withIntermediateDirectories: true)
            try "carried payload\n".write(toFile: fleet.root + "/files/payload.txt", atomically: true, encoding: .utf8)
            let task = fleet.root + "/apply.yaml"
            try """
                name: per-node config
                vars:
                  root: \(fleet.root)
                  greeting: hello
                steps:
                  - name: folder
                    directory: { path: "{{root}}/out", mode: "0755" }
                  - name: config
                    template:
                      path: "{{root}}/out/{{facts.id}}.conf"
                      template: "{{greeting}} from {{labels.tier}} ({{facts.hostname}})\\n"
                    notify: restarted
                  - name: payload
                    file: { path: "{{root}}/out/{{facts.id}}.payload", source: files/payload.txt, mode: "0600" }
                handlers:
                  - name: restarted
                    command: "echo restart >> '{{root}}/out/{{facts.id}}.handler'"
                """.write(toFile: task, atomically: true, encoding: .utf8)
            let first = try await run(fleet, ["--file", task, "--var", "greeting=hi"])
            #expect(first.status == .succeeded, "\(first.nodes.map { $0.message ?? "" })")
            for (name, node) in nodes {
                let tier = name == "f1" ? "canary" : "main"
                let out = fleet.root + "/out/" + node.id
                #expect((try? String(contentsOfFile: out + ".conf", encoding: .utf8)) == "hi from \(tier) (\(node.hostname))\n")
                #expect((try? String(contentsOfFile: out + ".payload", encoding: .utf8)) == "carried payload\n")
                #expect((try? String(contentsOfFile: out + ".handler", encoding: .utf8)) == "restart\n")
            }
            let steps = first.nodes.compactMap { $0.result?.steps.map(\.name) }
            #expect(steps.allSatisfy { $0 == ["folder", "config", "payload", "restarted"] })

            // Again: nothing changes, so the handler does not run.
            let second = try await run(fleet, ["--file", task, "--var", "greeting=hi"])
            #expect(second.status == .succeeded)
            for node in second.nodes {
                let statuses = node.result?.steps.map(\.status) ?? []
                #expect(statuses.count == 3)
                #expect(statuses.dropFirst().allSatisfy { $0 == .unchanged })
                #expect((try? String(contentsOfFile: fleet.root + "/out/\(node.nodeID).handler", encoding: .utf8)) == "restart\n")
            }
        }
    }

    @Test func aPlainCommandIsSentVerbatimBracesAndAll() async throws {
        try await TestFleet.with { fleet in
            _ = try await fleetWithNodes(fleet)
            // Go templates (docker inspect -f) and the like belong to the command, not to Shoal.
            let view = try await run(fleet, ["--command", "echo 'state={{.State.Status}}'", "--nodes", try #require(await fleet.nodes().first?.id)])
            #expect(view.status == .succeeded)
            #expect(view.nodes.first?.firstLine == "state={{.State.Status}}")
        }
    }

    @Test func badTaskFilesAreRefusedBeforeAnyNodeSeesThem() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            let task = fleet.root + "/bad.yaml"
            try "name: bad\nsteps:\n  - frobnicate: {}\n".write(toFile: task, atomically: true, encoding: .utf8)
            let unknown = try fleet.cli(["task", "run", "--file", task])
            #expect(unknown.status == 2)
            #expect(unknown.stderr.contains("unknown step kind 'frobnicate'"))
            let missing = try fleet.cli(["task", "run", "--profile", "no-such-profile"])
            #expect(missing.status == 2)
            #expect(missing.stderr.contains("base-hardening"))
            let needsVar = try fleet.cli(["task", "run", "--profile", "bacalhau-compute"])
            #expect(needsVar.status == 2)
            #expect(needsVar.stderr.contains("--var bacalhau_binary="))
            // A variable used in any parameter, not only a file path, is checked at the terminal.
            let needsKey = try fleet.cli(["task", "run", "--profile", "base-hardening"])
            #expect(needsKey.status == 2)
            #expect(needsKey.stderr.contains("--var deploy_key="))
            // A hand-made request naming an unknown kind is refused by the API too.
            let request = TaskCreateRequest(name: "raw", steps: [StepSpec(kind: "frobnicate", params: .object([:]))], selector: "", timeoutSeconds: 10)
            let signed = try fleet.signer().sign(request)
            await #expect(throws: ShoalError.self) { _ = try await fleet.admin().post("/v1/tasks", body: signed, as: TaskView.self) }
            let tasks = try fleet.cli(["task", "list", "--json"])
            #expect(!tasks.stdout.contains("raw"))
        }
    }
}
}
