import Foundation
import ShoalCore
import Testing

/// What operators see of a rollout: fleet-wide check mode grouped by identical reports,
/// and the full output of a node kept beyond the head and tail in the database.
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
                "/v1/tasks", body: TaskCreateRequest(name: "check", steps: [step], selector: "", timeoutSeconds: 30, expiresInSeconds: 600, checkMode: true),
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
