import Foundation
import ShoalCore
import ShoalTestSupport
import Testing

/// Crashes and outages: nothing is lost, nothing runs twice, liveness recovers by itself.
extension SystemTests {
@Suite(.serialized)
struct DurabilityTests {
    @Test func coordinatorKilledWhileAResultIsPendingLosesNothing() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("november", token: try fleet.token())
            _ = try await fleet.waitForReady(["november"])
            let run = try fleet.cli(["task", "run", "--command", "sleep 3; echo finished-after-outage"])
            #expect(run.status == 0, "\(run.stderr)")
            let taskID = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(await eventually { (try? await fleet.task(taskID))?.nodes.first?.status == .running })

            fleet.killCoordinator()
            // The agent finishes the step and keeps the result in its spool.
            let spool = fleet.stateDir("november") + "/spool"
            #expect(await eventually(timeout: 30) { ((try? FileManager.default.contentsOfDirectory(atPath: spool)) ?? []).count == 1 })

            try await fleet.startCoordinator()
            let view = try await fleet.waitForTask(taskID, timeout: 45)
            #expect(view.status == .succeeded)
            #expect(view.nodes.first?.firstLine == "finished-after-outage")
            #expect(await eventually(timeout: 10) { ((try? FileManager.default.contentsOfDirectory(atPath: spool)) ?? []).isEmpty })
        }
    }

    @Test func agentKilledMidStepReportsInterruptedAndDoesNotRerun() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            let agent = try fleet.startAgent("oscar", token: try fleet.token())
            _ = try await fleet.waitForReady(["oscar"])
            let counter = fleet.root + "/count"
            let pidFile = fleet.root + "/pid"
            let run = try fleet.cli(["task", "run", "--command", "echo $$ > \(pidFile); echo run >> \(counter); sleep 60"])
            let taskID = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(await eventually { FileManager.default.fileExists(atPath: counter) })

            agent.signal(SIGKILL)
            agent.process.waitUntilExit()
            // The step's process group lives in its own session; end it as an admin would.
            if let pid = Int32((try? String(contentsOfFile: pidFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") {
                kill(-pid, SIGKILL)
            }
            try fleet.startAgent("oscar", token: nil)
            let view = try await fleet.waitForTask(taskID)
            let node = try #require(view.nodes.first)
            #expect(node.status == .interrupted)
            #expect(node.errorCode == .stepInterrupted)
            let lines = try String(contentsOfFile: counter, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 1)
        }
    }

    @Test func agentStoppedWithSIGTERMStopsTheStepAndReportsInterrupted() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            let agent = try fleet.startAgent("quebec", token: try fleet.token())
            _ = try await fleet.waitForReady(["quebec"])
            let pidFile = fleet.root + "/pid"
            let run = try fleet.cli(["task", "run", "--command", "echo $$ > \(pidFile); sleep 60", "--timeout", "5m"])
            let taskID = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(await eventually { FileManager.default.fileExists(atPath: pidFile) })
            let started = Date()
            agent.stop(grace: 20)
            #expect(Date().timeIntervalSince(started) < 15, "SIGTERM should not wait for the 60 s step")
            let pgid = try #require(Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(await eventually(timeout: 10) { liveMembers(ofProcessGroup: pgid).isEmpty })
            try fleet.startAgent("quebec", token: nil)
            let view = try await fleet.waitForTask(taskID)
            #expect(view.nodes.first?.status == .interrupted)
            #expect(view.nodes.first?.errorCode == .stepInterrupted)
        }
    }

    @Test func silentNodeGoesDownAndComesBackByItself() async throws {
        try await TestFleet.with(nodeTTL: "2s") { fleet in
            try await fleet.startCoordinator()
            let agent = try fleet.startAgent("papa", token: try fleet.token())
            _ = try await fleet.waitForReady(["papa"])
            agent.signal(SIGSTOP)
            let wentDown = await eventually(timeout: 15) {
                (try? await fleet.nodes())?.first { $0.hostname == "papa" }?.status == "down"
            }
            #expect(wentDown)
            agent.signal(SIGCONT)
            let back = await eventually(timeout: 15) {
                (try? await fleet.nodes())?.first { $0.hostname == "papa" }?.status == "ready"
            }
            #expect(back)
        }
    }
}
}
