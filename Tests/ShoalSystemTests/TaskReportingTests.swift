import Foundation
import ShoalCore
import Testing

/// What operators see of a rollout: fleet-wide check mode grouped by identical reports,
/// and the full output of a node kept beyond the head and tail in the database.
extension SystemTests {
@Suite(.serialized)
struct TaskReportingTests {
    @Test func checkModeChangesNothingAndGroupsIdenticalReports() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            let token = try fleet.token(uses: 3)
            for name in ["k1", "k2", "k3"] { try fleet.startAgent(name, token: token) }
            let nodes = try await fleet.waitForReady(["k1", "k2", "k3"])
            let k1 = try #require(nodes["k1"]).id
            let marker = fleet.root + "/ran"
            // k1's guard says "already done"; the others would run the command.
            let step = try StepSpec(kind: "command", name: "make marker", encoding: CommandStepParams(
                script: "touch \(marker)-$SHOAL_NODE_ID", unless: "test \"$SHOAL_NODE_ID\" = \(k1)"
            ))
            let created = try await fleet.admin().post(
                "/v1/tasks", body: try fleet.signer().sign(TaskCreateRequest(name: "check", steps: [step], selector: "", timeoutSeconds: 30, expiresInSeconds: 600, checkMode: true)),
                as: TaskView.self
            )
            let view = try await fleet.waitForTask(created.id)
            #expect(view.status == .succeeded)
            #expect(view.checkMode)
            #expect(view.checkGroups.map(\.count) == [2, 1])
            #expect(view.checkGroups.first?.report.contains("unknown") == true)
            #expect(view.checkGroups.last?.nodes == ["k1"])
            #expect(view.checkGroups.last?.report.contains("unchanged") == true)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: fleet.root).filter { $0.hasPrefix("ran") }
            #expect(leftovers.isEmpty, "check mode changed something: \(leftovers)")

            // The CLI prints the groups.
            let cli = try fleet.cli(["task", "status", created.id])
            #expect(cli.stdout.contains("2 nodes"))
            #expect(cli.stdout.contains("check mode"))
        }
    }

    @Test func theFullOutputOfANodeIsKeptAndShown() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("q1", token: try fleet.token())
            _ = try await fleet.waitForReady(["q1"])
            let run = try fleet.cli(["task", "run", "--command", "seq 1 20000; echo done >&2", "--wait", "--json"])
            #expect(run.status == 0, "\(run.stderr)")
            let view = try WireCoding.decode(TaskView.self, from: Data(run.stdout.utf8))
            let stdout = try #require(view.nodes.first?.result?.steps.first?.stdout)
            #expect(stdout.truncated)
            #expect(!stdout.text.contains("\n10000\n"))

            var output = ""
            _ = await eventually {
                output = (try? fleet.cli(["task", "output", view.id, "q1"]).stdout) ?? ""
                return output.contains("done")
            }
            let lines = output.split(separator: "\n")
            #expect(lines.contains("10000"))
            #expect(lines.filter { Int($0) != nil }.count == 20000)
            #expect(output.contains("==> step 1 (command) stderr <=="))
        }
    }
}
}

extension SystemTests {
@Suite(.serialized)
struct ScheduleSystemTests {
    @Test func aScheduleRunsItsTaskWhenDueAndCanBeRemoved() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("s1", token: try fleet.token(labels: ["role=cron"]))
            _ = try await fleet.waitForReady(["s1"])
            let add = try fleet.cli(["schedule", "add", "tick", "--cron", "@every 2s", "--selector", "role=cron", "--command", "echo tick"])
            #expect(add.status == 0, "\(add.stderr)")
            let bad = try fleet.cli(["schedule", "add", "broken", "--cron", "61 * * * *", "--command", "true"])
            #expect(bad.status == 2)
            #expect(bad.stderr.contains("minute"))

            var runs: ScheduleRunsResponse?
            let ran = await eventually(timeout: 20) {
                runs = try? WireCoding.decode(ScheduleRunsResponse.self, from: Data(fleet.cli(["schedule", "runs", "tick", "--json"]).stdout.utf8))
                return runs?.runs.contains { $0.outcome == "started" } == true
            }
            #expect(ran)
            let taskID = try #require(runs?.runs.last { $0.outcome == "started" }?.taskID)
            let view = try await fleet.waitForTask(taskID)
            #expect(view.status == .succeeded)
            #expect(view.nodes.first?.firstLine == "tick")

            #expect(try fleet.cli(["schedule", "list"]).stdout.contains("tick"))
            #expect(try fleet.cli(["schedule", "remove", "tick"]).status == 0)
            #expect(!(try fleet.cli(["schedule", "list"]).stdout.contains("@every")))
        }
    }
}
}
