import Foundation
import ShoalCore
import ShoalTestSupport
import Testing
import Yams

/// Agents given several coordinator URLs: they enroll and work through whichever answers, say
/// in their heartbeats which one they use, and move on when it goes away.
extension SystemTests {
@Suite(.serialized)
struct AgentFailoverTests {
    @Test func anAgentSkipsAURLWhereNothingListensAndReportsTheOneItUses() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            let dead = "https://127.0.0.1:\(freePort())"
            let agent = try fleet.startAgent("fo-a", token: try fleet.token(), coordinatorURLs: [dead, fleet.url])
            _ = try await fleet.waitForReady(["fo-a"])
            // Whichever URL it started at (random), it ends on the live one and says so.
            let reported = try await eventually(timeout: 20) { try await fleet.nodes().first { $0.hostname == "fo-a" }?.coordinatorURL == fleet.url }
            #expect(reported, "\(agent.log)")

            let run = try fleet.cli(["task", "run", "--command", "echo through-failover", "--wait", "--json"])
            #expect(run.status == 0, "task run failed: \(run.stderr)\n\(agent.log)")
            let view = try WireCoding.decode(TaskView.self, from: Data(run.stdout.utf8))
            #expect(view.status == .succeeded)
            #expect(view.nodes.first?.firstLine == "through-failover")

            // The operator CLI shows it too.
            let id = try #require(try await fleet.nodes().first { $0.hostname == "fo-a" }?.id)
            let show = try fleet.cli(["nodes", "show", id])
            #expect(show.stdout.contains("coordinator: \(fleet.url)"), "\(show.stdout)\(show.stderr)")
        }
    }

    @Test func anAgentMovesToTheNextURLWhenTheOneItUsesGoesAway() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            // Two ways to the one coordinator: TCP forwarders on two ports (the server
            // certificate names 127.0.0.1, whatever the port). Killing one is that URL going away.
            var forwarders: [String: ChildProcess] = [:]
            defer { for process in forwarders.values { process.stop(grace: 1) } }
            for name in ["first", "second"] {
                let port = freePort()
                let process = try ChildProcess(
                    "/usr/bin/env", ["python3", "-c", TCPForwarder.script, "\(port)", "\(fleet.port)"], logPath: fleet.root + "/forwarder-\(name).log"
                )
                forwarders["https://127.0.0.1:\(port)"] = process
                let listening = await eventually(timeout: 10) { process.log.contains("listening") }
                guard listening else { throw ShoalError(.internalError, "forwarder did not start: \(process.log)") }
            }
            let urls = forwarders.keys.sorted()
            let agent = try fleet.startAgent("fo-b", token: try fleet.token(), coordinatorURLs: urls)
            _ = try await fleet.waitForReady(["fo-b"])
            var used: String?
            _ = try await eventually(timeout: 20) {
                used = try await fleet.nodes().first { $0.hostname == "fo-b" }?.coordinatorURL
                return used != nil
            }
            let gone = try #require(used, "\(agent.log)")
            let other = try #require(urls.first { $0 != gone })

            forwarders[gone]?.signal(SIGKILL)
            let moved = try await eventually(timeout: 30) { try await fleet.nodes().first { $0.hostname == "fo-b" }?.coordinatorURL == other }
            #expect(moved, "\(agent.log)")
            #expect(agent.log.contains("moving to the next URL"), "\(agent.log)")

            // And it still works there: a task reaches it through the other URL.
            let run = try fleet.cli(["task", "run", "--command", "echo after-move", "--wait", "--json"])
            #expect(run.status == 0, "task run failed: \(run.stderr)\n\(agent.log)")
            let view = try WireCoding.decode(TaskView.self, from: Data(run.stdout.utf8))
            #expect(view.status == .succeeded)
            #expect(view.nodes.first?.firstLine == "after-move")
        }
    }

    @Test func cloudInitWritesEveryCoordinatorURLGiven() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            func agentConfig(_ urls: [String]) throws -> (text: String, config: AgentConfig) {
                let made = try fleet.cli(["token", "create", "--cloud-init"] + urls.flatMap { ["--coordinator-url", $0] })
                #expect(made.status == 0, "\(made.stderr)")
                let document = try #require(try Yams.load(yaml: made.stdout) as? [String: Any])
                let files = try #require(document["write_files"] as? [[String: Any]])
                let text = try #require(files.first?["content"] as? String)
                return (text, try AgentConfig.parse(yaml: text))
            }
            let two = try agentConfig(["https://127.0.0.1:1", "https://localhost:2"])
            #expect(two.config.coordinatorURLList == ["https://127.0.0.1:1", "https://localhost:2"])
            #expect(two.text.contains("coordinator_urls:") && !two.text.contains("coordinator_url:"))
            // One URL is written as before.
            let one = try agentConfig(["https://127.0.0.1:1"])
            #expect(one.text.contains("coordinator_url: https://127.0.0.1:1") && !one.text.contains("coordinator_urls"))
            // A bad one is refused, naming it, and nothing is printed.
            let bad = try fleet.cli(["token", "create", "--cloud-init", "--coordinator-url", "https://127.0.0.1:1", "--coordinator-url", "http://x:2"])
            #expect(bad.status != 0)
            #expect(bad.stderr.contains("coordinator_urls[1]"), "\(bad.stderr)")
            #expect(bad.stdout.isEmpty)
        }
    }
}
}
