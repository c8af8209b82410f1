import Foundation
import ShoalCore
import ShoalSimulator
import Testing

/// The fleet simulator (`shoal-sim`) against a real coordinator: its nodes enroll, beat,
/// run a fan-out and upload output the way real agents do, refuse a bundle a rogue key
/// signed, and churned nodes go down and come back.
extension SystemTests {
@Suite(.serialized)
struct FleetSimulatorTests {
    static var simulatorBinary: String { TestFleet.binDir + "/shoal-sim" }

    @Test func simulatedFleetEnrollsBeatsRunsAFanOutAndRefusesARogueBundle() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            let outputBytes = 10_000
            let fleetToken = try fleet.token(uses: 40, labels: ["role=sim"])
            let churnToken = try fleet.token(uses: 3, labels: ["role=churn"])
            // The main fleet: 40 nodes, 10 % of them GPU machines.
            let main = try ChildProcess(Self.simulatorBinary, [
                "--data-dir", fleet.dataDir, "--token", fleetToken, "--nodes", "40", "--heartbeat-interval", "1", "--poll-wait", "5",
                "--gpu-share", "0.1", "--output-bytes", "\(outputBytes)", "--stats-interval", "0", "--report", fleet.root + "/sim.json",
                "--state-dir", fleet.root + "/sim-state",
            ], logPath: fleet.root + "/sim.log")
            // Beside it, three nodes that churn: one goes away every 2 s or so, for 6 s (the
            // coordinator's node TTL is 3 s, so it is marked down), then comes back.
            let churning = try ChildProcess(Self.simulatorBinary, [
                "--data-dir", fleet.dataDir, "--token", churnToken, "--nodes", "3", "--heartbeat-interval", "1", "--poll-wait", "5",
                "--hostname-prefix", "churn", "--churn", "10", "--churn-outage", "6", "--stats-interval", "0",
                "--report", fleet.root + "/churn.json", "--state-dir", fleet.root + "/churn-state",
            ], logPath: fleet.root + "/churn.log")

            let names = (0..<40).map { String(format: "sim-%05d", $0) }
            // waitForReady answers with every node it saw, the churning ones too.
            let nodes = try await fleet.waitForReady(names, timeout: 30).filter { names.contains($0.key) }
            #expect(nodes.count == 40)
            let gpuNodes = nodes.values.filter { $0.facts?.gpu != nil }
            #expect(gpuNodes.count == 4)
            for node in gpuNodes {
                #expect(node.facts?.gpu?.devices.isEmpty == false)
                #expect(node.facts?.gpu?.driverLoaded == true)
                #expect(node.metrics?.gpus?.isEmpty == false)
            }
            for node in nodes.values {
                #expect(node.labels == ["role": "sim"])
                #expect((node.facts?.cpuCount ?? 0) > 0)
            }

            // A fan-out to the 40: every result stored, with the configured output.
            let run = try fleet.cli(["task", "run", "--selector", "role=sim", "--command", "true", "--wait", "--json"])
            #expect(run.status == 0, "\(run.stderr)")
            let view = try WireCoding.decode(TaskView.self, from: Data(run.stdout.utf8))
            #expect(view.status == .succeeded)
            #expect(view.nodes.count == 40)
            #expect(view.nodes.allSatisfy { $0.status == .succeeded && $0.result?.steps.first?.stdout.totalBytes == outputBytes })
            let first = try #require(view.nodes.first)
            let output = try curl(fleet.adminCurl + [fleet.url + "/v1/tasks/\(view.id)/output/\(first.nodeID)"])
            #expect(output.code == 200)
            #expect(output.body.utf8.count >= outputBytes)
            #expect(output.body.contains("sim \(first.hostname) step 0 output line"))

            // A bundle whose delivery signature is from a key the trust document does not
            // hold (a stolen database, a forged row) is refused by the simulated node.
            let target = try #require(nodes["sim-00007"])
            let admin = try OperatorKeyFile.load(fleet.signingKeyPath)
            let forged = try await fleet.injectDelivery(
                "forged", nodeID: target.id, statement: TestFleet.statement("true", key: admin, operatorName: "admin"), signedWith: BundleSigningKey()
            )
            let refused = try await fleet.finalDelivery(forged)
            #expect(refused?.status == .refused, "\(refused?.message ?? "")")
            #expect(refused?.errorCode?.rawValue.hasPrefix("bundle.") == true)

            // Churned nodes: one is seen down, and later every one of them ready again.
            let churnNames = ["churn-00000", "churn-00001", "churn-00002"]
            var wentDown: Set<String> = []
            let sawDown = try await eventually(timeout: 15) {
                wentDown = Set(try await fleet.nodes().filter { churnNames.contains($0.hostname) && $0.status == "down" }.map(\.hostname))
                return !wentDown.isEmpty
            }
            #expect(sawDown)
            // ...and one that went down comes back (its outage is 6 s), before the run stops.
            let cameBack = try await eventually(timeout: 30) {
                try await fleet.nodes().contains { wentDown.contains($0.hostname) && $0.status == "ready" }
            }
            #expect(cameBack)

            main.stop(grace: 10)
            churning.stop(grace: 10)
            let report = try WireCoding.decode(SimulatorReport.self, from: Data(contentsOf: URL(fileURLWithPath: fleet.root + "/sim.json")))
            #expect(report.enrolled == 40)
            #expect(report.bundlesVerified == 40)
            #expect(report.bundlesRefused.values.reduce(0, +) == 1)
            #expect(report.resultsUploaded == 41)
            #expect(report.heartbeats >= 40)
            #expect(report.heartbeatP99Milliseconds != nil)
            let churned = try WireCoding.decode(SimulatorReport.self, from: Data(contentsOf: URL(fileURLWithPath: fleet.root + "/churn.json")))
            #expect(churned.churnedDown > 0)
            #expect(churned.churnedBack > 0)

            // A second run from the same state directory reuses the identities: no enrollment.
            let again = try ChildProcess(Self.simulatorBinary, [
                "--data-dir", fleet.dataDir, "--nodes", "3", "--heartbeat-interval", "1", "--hostname-prefix", "churn",
                "--duration", "6", "--stats-interval", "0", "--report", fleet.root + "/again.json", "--state-dir", fleet.root + "/churn-state",
            ], logPath: fleet.root + "/again.log")
            let back = try await fleet.waitForReady(churnNames, timeout: 6)
            #expect(churnNames.allSatisfy { back[$0]?.status == "ready" })
            _ = await eventually(timeout: 20) { !again.isRunning }
            let reused = try WireCoding.decode(SimulatorReport.self, from: Data(contentsOf: URL(fileURLWithPath: fleet.root + "/again.json")))
            #expect(reused.identitiesReused == 3)
            #expect(reused.enrolled == 0)
        }
    }
}
}
