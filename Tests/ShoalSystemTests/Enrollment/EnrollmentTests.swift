import Foundation
import ShoalCoordinator
import ShoalCore
import ShoalTestSupport
import Testing

extension SystemTests {
/// `coordinator enroll` / `unenroll` over real SSH onto real systemd nodes (testbed), with the
/// built CLI and the debug agent.
@Suite(.serialized)
struct EnrollmentTests {
    @Test func enrollThreeNodesRunATaskReenrollUpdateAndUnenroll() async throws {
        try await EnrollmentFleet.with(nodes: 3) { fleet in
            let nodes = fleet.nodes
            let clock = ContinuousClock.now
            let (first, report) = try await fleet.enroll(nodes.map { "root@\($0.ip)" }, ["--label", "role=compute", "--parallel", "3"])
            #expect(first.status == 0, "\(first.stderr)")
            let results = try #require(report?.results)
            #expect(results.map(\.result) == [.enrolled, .enrolled, .enrolled], "\(results.map(\.reason))")
            print("enroll of 3 nodes in parallel took \(ContinuousClock.now - clock)")
            #expect(first.stderr.contains("[ok] systemd: systemd is PID 1"))

            let views = try await fleet.nodeViews()
            #expect(Set(views.map(\.hostname)) == Set(nodes.map(\.name)))
            #expect(views.allSatisfy { $0.status == "ready" && $0.labels["role"] == "compute" && $0.facts != nil })
            let idByName = Dictionary(uniqueKeysWithValues: views.map { ($0.hostname, $0.id) })
            #expect(results.map { $0.nodeID ?? "" } == nodes.map { idByName[$0.name] ?? "?" })
            // The config holds the token and CA: root only. The unit is the shipped hardened one.
            #expect(try await nodes[0].output(["stat", "-c", "%a %U", AgentInstallLayout.configPath]) == "600 root")
            let shippedUnit = try String(contentsOfFile: Testbed.packageRoot + "/agent/assets/shoal-agent.service", encoding: .utf8)
            #expect(try await nodes[0].exec(["cat", AgentInstallLayout.unitPath]).stdout == shippedUnit)
            #expect(try await nodes[0].output(["systemctl", "is-enabled", AgentInstallLayout.unitName]) == "enabled")

            // A fleet task reaches all three through the installed agents.
            let task = try await fleet.cli(["task", "run", "--command", "hostname", "--selector", "role=compute", "--wait", "--json"])
            #expect(task.status == 0, "\(task.stderr) \(task.stdout)")
            let view = try WireCoding.decode(TaskView.self, from: Data(task.stdout.utf8))
            #expect(Set(view.nodes.compactMap(\.firstLine)) == Set(nodes.map(\.name)))

            // Same binary again: nothing changes, no token, no restart.
            let before = try await nodes[0].agentServiceInstance()
            let again = try await fleet.enroll(["root@\(nodes[0].ip)"])
            #expect(again.result.status == 0, "\(again.result.stderr)")
            #expect(again.report?.results.first?.result == .unchanged)
            #expect(again.report?.results.first?.nodeID == idByName[nodes[0].name])
            #expect(try await nodes[0].agentServiceInstance() == before)
            #expect(try await fleet.nodeViews().count == 3)

            // A different binary: replaced and restarted, same identity.
            let changed = fleet.root + "/agent-changed"
            try FileManager.default.copyItem(atPath: EnrollmentFleet.agentBinary, toPath: changed)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: changed))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("shoal-test-trailer".utf8))
            try handle.close()
            let beforeUpdate = try await nodes[1].agentServiceInstance()
            let update = try await fleet.enroll(["root@\(nodes[1].ip)"], agent: changed)
            #expect(update.result.status == 0, "\(update.result.stderr)")
            #expect(update.report?.results.first?.result == .updated, "\(update.report?.results.first?.reason ?? update.result.stderr)")
            #expect(update.report?.results.first?.nodeID == idByName[nodes[1].name])
            #expect(try await nodes[1].agentServiceInstance() != beforeUpdate)
            let installedSum = try await nodes[1].output(["sh", "-c", "sha256sum \(AgentInstallLayout.binaryPath) | cut -d' ' -f1"])
            #expect(installedSum == (FileManager.default.contents(atPath: changed) ?? Data()).sha256Hex)
            #expect(try await nodes[1].output(["sh", "-c", "ls /usr/local/bin /etc/shoal | grep -c -e backup -e enroll; true"]) == "0")

            // Unenroll: the agent is gone from the node and its certificate is refused.
            let gone = nodes[2]
            let goneID = try #require(idByName[gone.name])
            let keyDir = fleet.root + "/revoked-node"
            try SecureFile.makeDirectory(keyDir)
            for file in ["node.crt", "node.key"] {
                try SecureFile.write(try await gone.exec(["cat", "\(AgentInstallLayout.stateDirectory)/\(file)"]).stdout, to: keyDir + "/" + file)
            }
            let unenroll = try await fleet.cli(["unenroll", "root@\(gone.ip)"] + fleet.sshOptions(gone))
            #expect(unenroll.status == 0, "\(unenroll.stderr)")
            #expect(unenroll.stdout.contains("revoked \(goneID)"))
            #expect(try await gone.agentFilesPresent().isEmpty)
            #expect(try await gone.exec(["pgrep", "-f", "shoal-agent"]).status != 0, "no agent process left")
            #expect(try await fleet.nodeViews().first { $0.id == goneID }?.status == "revoked")
            let refused = try curl([
                "--cacert", fleet.dataDir + "/ca.crt", "--cert", keyDir + "/node.crt", "--key", keyDir + "/node.key",
                "-X", "POST", "-H", "content-type: application/json", "--data", "{}", fleet.nodeURL.replacingOccurrences(of: gone.hostIP, with: nodes[0].hostIP) + "/v1/agent/\(goneID)/heartbeat",
            ])
            #expect(refused.code == 403)
            #expect(refused.body.contains("auth.node_revoked"))
            // The other two keep working — at once, although the updated agent's old long poll
            // may still be open on the server: a bundle handed to that dead poll is handed out
            // again on the restarted agent's next poll.
            let after = try await fleet.cli(["task", "run", "--command", "true", "--selector", "role=compute", "--wait", "--json"])
            #expect(after.status == 0, "\(after.stderr) \(after.stdout)")
            #expect(try WireCoding.decode(TaskView.self, from: Data(after.stdout.utf8)).nodes.count == 2)
        }
    }

    @Test func preflightFailuresSayWhyAndLeaveNothingOnTheNode() async throws {
        try await EnrollmentFleet.with(nodes: 1) { fleet in
            let node = fleet.nodes[0]
            let tooSmall = try await fleet.enroll(["root@\(node.ip)"], ["--min-cpus", "512"])
            #expect(tooSmall.result.status != 0)
            let failed = try #require(tooSmall.report?.results.first)
            #expect(failed.result == .failed)
            #expect(failed.reason.contains("cpu:") && failed.reason.contains("need 512"), "\(failed.reason)")
            #expect(failed.checks.first { $0.name == "cpu" }?.passed == false)
            #expect(try await node.agentFilesPresent().isEmpty)
            #expect(try await fleet.nodeViews().isEmpty)

            // --force turns the shortfall into a warning; --dry-run still writes nothing.
            let forced = try await fleet.enroll(["root@\(node.ip)"], ["--min-cpus", "512", "--force", "--dry-run"])
            #expect(forced.result.status == 0, "\(forced.result.stderr)")
            #expect(forced.report?.results.first?.result == .preflightPassed)
            #expect(forced.report?.results.first?.checks.first { $0.name == "cpu" }?.warning == true)
            #expect(try await node.agentFilesPresent().isEmpty)

            // A failure after writing: an "agent" that never enrolls (/bin/true, a valid ELF)
            // times out, and the run removes everything it wrote.
            let broken = try await fleet.enroll(["root@\(node.ip)"], agent: "/bin/true", ["--ready-timeout", "5s"])
            #expect(broken.result.status != 0)
            let brokenResult = try #require(broken.report?.results.first)
            #expect(brokenResult.result == .failed)
            #expect(brokenResult.reason.contains("did not enroll") && brokenResult.reason.contains("removed what this run wrote"), "\(brokenResult.reason)")
            let left = try await node.agentFilesPresent()
            #expect(left.isEmpty, "\(left)")
            #expect(try await node.output(["systemctl", "is-enabled", AgentInstallLayout.unitName]) != "enabled")
            #expect(try await fleet.nodeViews().isEmpty)

            // A user that is not root and has no passwordless sudo.
            let key = try await Testbed.runOnHost("/usr/bin/ssh-keygen", ["-y", "-f", node.sshKeyPath]).stdout
            try await node.writeFile(path: "/root/ops.pub", contents: Data(key.utf8))
            let made = try await node.exec(["sh", "-c", "useradd -m -s /bin/bash ops && install -d -m 700 -o ops -g ops ~ops/.ssh && install -m 600 -o ops -g ops /root/ops.pub ~ops/.ssh/authorized_keys"])
            try #require(made.status == 0, "\(made.stderr)")
            let noSudo = try await fleet.enroll(["ops@\(node.ip)"])
            #expect(noSudo.result.status != 0)
            let reason = try #require(noSudo.report?.results.first?.reason)
            #expect(reason.contains("privileges: not root and 'sudo -n true' fails"), "\(reason)")
            #expect(try await node.agentFilesPresent().isEmpty)

            // With passwordless sudo the same user enrolls the node.
            try await node.writeFile(path: "/etc/sudoers.d/ops", contents: Data("ops ALL=(ALL) NOPASSWD: ALL\n".utf8), mode: 0o440)
            let withSudo = try await fleet.enroll(["ops@\(node.ip)"])
            #expect(withSudo.result.status == 0, "\(withSudo.result.stderr)")
            #expect(withSudo.report?.results.first?.checks.first { $0.name == "privileges" }?.reason == "passwordless sudo")
            #expect(withSudo.report?.results.first?.result == .enrolled)
            #expect(try await fleet.nodeViews().first?.status == "ready")
        }
    }

    @Test func anUnreachableHostFailsInTheTableWithoutStoppingTheOthers() async throws {
        try await EnrollmentFleet.with(nodes: 1) { fleet in
            let node = fleet.nodes[0]
            // 10.213.255.2 is in the testbed range but no node has it: nothing answers.
            let run = try await fleet.enroll(["root@\(node.ip)", "root@10.213.255.2"], ["--dry-run", "--ssh-option", "ConnectTimeout=3"])
            #expect(run.result.status != 0)
            let results = try #require(run.report?.results)
            #expect(results.map(\.result) == [.preflightPassed, .failed])
            #expect(results.last?.reason.contains("cannot log in over SSH") == true, "\(results.last?.reason ?? "")")
            let table = try await fleet.cli(["enroll", "root@10.213.255.2", "--agent-binary", EnrollmentFleet.agentBinary, "--coordinator-url", fleet.nodeURL, "--ssh-option", "ConnectTimeout=3"])
            #expect(table.status != 0)
            #expect(table.stdout.contains("HOST") && table.stdout.contains("root@10.213.255.2") && table.stdout.contains("failed"))
        }
    }
}
}
