import Foundation
import ShoalCoordinator
import ShoalCore
import ShoalTestSupport
import Testing
import Yams

extension SystemTests {
/// `coordinator token create --cloud-init`: a machine whose image carries the agent applies
/// the generated user-data (as cloud-init would: write_files, then runcmd) and registers itself.
@Suite(.serialized)
struct CloudInitTests {
    @Test func userDataMakesANodeRegisterItself() async throws {
        try await EnrollmentFleet.with(nodes: 1) { fleet in
            let node = fleet.nodes[0]
            let made = try await fleet.cli(["token", "create", "--uses", "1", "--ttl", "24h", "--label", "role=cloud", "--cloud-init", "--coordinator-url", fleet.nodeURL])
            #expect(made.status == 0, "\(made.stderr)")
            #expect(made.stdout.hasPrefix("#cloud-config\n"))
            let document = try #require(try Yams.load(yaml: made.stdout) as? [String: Any])
            let files = try #require(document["write_files"] as? [[String: Any]])
            #expect(files.compactMap { $0["path"] as? String } == [AgentInstallLayout.configPath, AgentInstallLayout.unitPath])
            let runcmd = try #require(document["runcmd"] as? [[String]])
            #expect(runcmd == [["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", "shoal-agent.service"]])

            // The config is a valid agent config with the CA pinned inline and the token.
            let configText = try #require(files.first?["content"] as? String)
            let config = try AgentConfig.parse(yaml: configText)
            #expect(config.coordinatorURL == fleet.nodeURL)
            #expect(config.caCertificate == (try SecureFile.read(fleet.dataDir + "/ca.crt")))
            #expect(config.joinToken?.isEmpty == false)
            let shippedUnit = try String(contentsOfFile: Testbed.packageRoot + "/agent/assets/shoal-agent.service", encoding: .utf8)
            #expect(files.last?["content"] as? String == shippedUnit)

            // The image carries the agent; apply write_files and runcmd as cloud-init does.
            try await node.copyFile(from: EnrollmentFleet.agentBinary, to: AgentInstallLayout.binaryPath, mode: 0o755)
            for file in files {
                let path = try #require(file["path"] as? String)
                let mode = try #require(Int(file["permissions"] as? String ?? "", radix: 8))
                try await node.writeFile(path: path, contents: Data((file["content"] as? String ?? "").utf8), mode: mode)
            }
            for argv in runcmd {
                let ran = try await node.exec(argv)
                #expect(ran.status == 0, "\(argv): \(ran.stderr)")
            }
            #expect(try await node.output(["stat", "-c", "%a", AgentInstallLayout.configPath]) == "600")
            let started = ContinuousClock.now
            let registered = await eventually(timeout: 60) {
                guard let view = try? await fleet.nodeViews().first else { return false }
                return view.hostname == node.name && view.status == "ready" && view.facts != nil && view.labels["role"] == "cloud"
            }
            let log = registered ? "" : try await node.output(["journalctl", "-u", "shoal-agent", "-n", "20", "--no-pager"])
            #expect(registered, "node did not register; agent log: \(log)")
            print("cloud-init node ready \(ContinuousClock.now - started) after runcmd")
            let task = try await fleet.cli(["task", "run", "--command", "cat /etc/hostname", "--selector", "role=cloud", "--wait", "--json"])
            #expect(task.status == 0, "\(task.stderr)")
            #expect(try WireCoding.decode(TaskView.self, from: Data(task.stdout.utf8)).nodes.first?.firstLine == node.name)
        }
    }
}
}
