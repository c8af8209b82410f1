import Foundation
import ShoalCore
import ShoalTestSupport
import Testing

/// Rollout policy with real agents: concurrency bound, error budget, canary, cancel,
/// retry after a node comes back, and a coordinator restart mid-rollout.
extension SystemTests {
@Suite(.serialized)
struct RolloutTests {
    static let names = ["r1", "r2", "r3", "r4"]

    func fleetWithNodes(_ fleet: TestFleet, _ names: [String] = RolloutTests.names) async throws -> [String: NodeView] {
        try await fleet.startCoordinator()
        let token = try fleet.token(uses: names.count, labels: ["pool=rollout"])
        for name in names { try fleet.startAgent(name, token: token) }
        return try await fleet.waitForReady(names)
    }

    func runTask(_ fleet: TestFleet, _ arguments: [String]) throws -> TaskView {
        let result = try fleet.cli(["task", "run", "--selector", "pool=rollout", "--json"] + arguments)
        guard let view = try? WireCoding.decode(TaskView.self, from: Data(result.stdout.utf8)) else {
            throw ShoalError(.internalError, "task run printed no task: \(result.stdout) \(result.stderr)")
        }
        return view
    }

    func markers(_ fleet: TestFleet) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: fleet.root)) ?? []).filter { $0.hasPrefix("ran-") }
    }

    @Test func neverMoreThanMaxConcurrencyNodesAtOnce() async throws {
        try await TestFleet.with { fleet in
            _ = try await fleetWithNodes(fleet)
            let view = try runTask(fleet, ["--command", "sleep 1", "--max-concurrency", "2", "--canary", "1", "--wait"])
            #expect(view.status == .succeeded)
            #expect(view.nodes.count == 4)
            // From the recorded timestamps: a node holds a slot from queued to finished.
            let intervals = view.nodes.compactMap { node -> (Date, Date)? in
                guard let start = node.queuedAt, let end = node.finishedAt else { return nil }
                return (start, end)
            }
            #expect(intervals.count == 4)
            // The most at one moment: the most running at any start (a busiest moment begins with one).
            let peak = intervals.map { interval in intervals.filter { $0.0 <= interval.0 && interval.0 < $0.1 }.count }.max() ?? 0
            #expect(peak <= 2, "at most 2 nodes at once, saw \(peak): \(view.nodes.map { "\($0.nodeID) queued \($0.queuedAt.map(Timestamp.format) ?? "-") finished \($0.finishedAt.map(Timestamp.format) ?? "-")" })")
            // The canary ran alone before anyone else was queued.
            let canary = try #require(view.nodes.first)
            for other in view.nodes.dropFirst() {
                #expect((other.queuedAt ?? .distantPast) >= (canary.finishedAt ?? .distantFuture))
            }
        }
    }

    @Test func errorBudgetHaltsTheRolloutAndLeavesTheRestUntouched() async throws {
        try await TestFleet.with { fleet in
            _ = try await fleetWithNodes(fleet)
            let view = try runTask(fleet, ["--command", "touch \(fleet.root)/ran-$SHOAL_NODE_ID; exit 1", "--max-concurrency", "1", "--max-errors", "1", "--wait"])
            #expect(view.status == .halted)
            #expect(view.statusReason?.contains("more than the 1 allowed") == true)
            #expect(view.nodes.filter { $0.status == .failed }.count == 2)
            let untouched = view.nodes.filter { $0.status == .cancelled }
            #expect(untouched.count == 2)
            for node in untouched {
                #expect(node.errorCode == .rolloutHalted)
                #expect(node.queuedAt == nil)
            }
            #expect(markers(fleet).count == 2)
        }
    }

    @Test func aFailedCanaryStopsBeforeTheRest() async throws {
        try await TestFleet.with { fleet in
            _ = try await fleetWithNodes(fleet)
            let view = try runTask(fleet, ["--command", "touch \(fleet.root)/ran-$SHOAL_NODE_ID; exit 3", "--canary", "1", "--max-errors", "100%", "--wait"])
            #expect(view.status == .halted)
            #expect(view.statusReason?.contains("canary") == true)
            #expect(view.nodes.first?.status == .failed)
            #expect(view.nodes.dropFirst().allSatisfy { $0.status == .cancelled && $0.queuedAt == nil && $0.errorCode == .canaryFailed })
            #expect(markers(fleet).count == 1)
        }
    }

    @Test func aFailureWhenEveryNodeHasAlreadyRunIsFailedNotHalted() async throws {
        try await TestFleet.with { fleet in
            let nodes = try await fleetWithNodes(fleet)
            let first = try #require(nodes["r1"]?.id)
            // All nodes at once: by the time r1's failure counts, nobody is left to stop.
            let view = try runTask(fleet, ["--command", "[ \"$SHOAL_NODE_ID\" != \"\(first)\" ] || exit 4", "--wait"])
            #expect(view.status == .failed)
            #expect(view.nodes.filter { $0.status == .succeeded }.count == 3)
            #expect(view.nodes.first { $0.nodeID == first }?.exitCode == 4)
        }
    }

    @Test func cancelStopsRunningStepsAndWithdrawsTheRest() async throws {
        try await TestFleet.with { fleet in
            _ = try await fleetWithNodes(fleet, ["c1", "c2", "c3"])
            let pidFile = fleet.root + "/pgid"
            let started = try fleet.cli(["task", "run", "--selector", "pool=rollout", "--max-concurrency", "1",
                                         "--command", "echo $$ > \(pidFile); sleep 60", "--timeout", "5m"])
            let taskID = started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(await eventually { (try? await fleet.task(taskID))?.nodes.contains { $0.status == .running } == true })
            let cancel = try fleet.cli(["task", "cancel", taskID])
            #expect(cancel.status == 0, "\(cancel.stderr)")
            let view = try await fleet.waitForTask(taskID, timeout: 30)
            #expect(view.status == .cancelled)
            #expect(view.nodes.allSatisfy { $0.status == .cancelled })
            #expect(view.nodes.filter { $0.startedAt != nil }.count == 1)
            // The running step's whole process group is gone.
            let pgid = try #require(Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(await eventually(timeout: 10) { liveMembers(ofProcessGroup: pgid).isEmpty })
        }
    }

    @Test func aNodeThatIsDownIsRetriedWhenItComesBackOrFailedWithoutRetries() async throws {
        try await TestFleet.with(nodeTTL: "2s") { fleet in
            let nodes = try await fleetWithNodes(fleet, ["d1"])
            let agent = try #require(fleet.agents["d1"])
            agent.signal(SIGSTOP)
            #expect(await eventually(timeout: 15) { (try? await fleet.nodes())?.first?.status == "down" })

            // No retries: counted as failed at once, not waited on.
            let noRetry = try runTask(fleet, ["--command", "true", "--wait"])
            #expect(noRetry.status == .failed)
            #expect(noRetry.nodes.first?.errorCode == .nodeUnreachable)

            // With retries: waits with backoff, runs once the node is back.
            let started = try fleet.cli(["task", "run", "--selector", "pool=rollout", "--command", "echo back", "--retries", "5", "--retry-backoff", "2s"])
            let taskID = started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(await eventually { (try? await fleet.task(taskID))?.nodes.first?.status == .retryWait })
            agent.signal(SIGCONT)
            let view = try await fleet.waitForTask(taskID, timeout: 40)
            #expect(view.status == .succeeded)
            #expect(view.nodes.first?.firstLine == "back")
            #expect(view.nodes.first?.nodeID == nodes["d1"]?.id)
        }
    }

    @Test func aCoordinatorRestartMidRolloutRunsNoBundleTwice() async throws {
        try await TestFleet.with { fleet in
            _ = try await fleetWithNodes(fleet, ["m1", "m2", "m3"])
            let runs = fleet.root + "/runs"
            let started = try fleet.cli(["task", "run", "--selector", "pool=rollout", "--max-concurrency", "1",
                                         "--command", "echo $SHOAL_NODE_ID >> \(runs); sleep 2"])
            let taskID = started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(await eventually { (try? await fleet.task(taskID))?.nodes.contains { $0.status == .running } == true })
            fleet.killCoordinator()
            try await Task.sleep(for: .seconds(1))
            try await fleet.startCoordinator()
            let view = try await fleet.waitForTask(taskID, timeout: 60)
            #expect(view.status == .succeeded)
            let lines = try String(contentsOfFile: runs, encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(lines.count == 3)
            #expect(Set(lines).count == 3)
        }
    }

    @Test func badSelectorsAreRefusedWithExitCode2() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            for selector in ["role=", "role in (a,b", "cpu.count>=many", "=x"] {
                let result = try fleet.cli(["task", "run", "--selector", selector, "--command", "true"])
                #expect(result.status == 2, "\(selector): \(result.stderr)")
                #expect(result.stderr.contains("selector"))
            }
            let none = try fleet.cli(["task", "run", "--selector", "role=nothing", "--command", "true"])
            #expect(none.status == 1)
            #expect(none.stderr.contains("task.no_nodes_matched"))
        }
    }
}
}
