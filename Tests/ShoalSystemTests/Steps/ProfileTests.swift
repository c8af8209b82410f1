import Foundation
import ShoalCore
import ShoalTestSupport
import Testing

/// The shipped role profiles on real Debian 12 nodes: every profile in check mode changes
/// nothing and explains itself; base-hardening applied for real locks the node down without
/// locking its operator out, and a second run changes nothing.
extension SystemTests {
@Suite(.serialized)
struct ProfileTests {
    static let profileDirectory = Testbed.packageRoot + "/coordinator/profiles"

    static func copyProfiles(to node: TestbedNode) async throws {
        for file in try FileManager.default.contentsOfDirectory(atPath: profileDirectory) where file.hasSuffix(".yaml") {
            try await node.copyFile(from: profileDirectory + "/" + file, to: "/root/profiles/" + file, mode: 0o644)
        }
    }

    static func apply(_ node: TestbedNode, _ profile: String, check: Bool, vars: [String]) async throws -> NodeAgent.Run {
        var argv = [NodeAgent.agent, "apply", "/root/profiles/\(profile).yaml", "--json"] + vars.flatMap { ["--var", $0] }
        if check { argv.append("--check") }
        let result = try await node.exec(argv, timeout: .seconds(600))
        let report = try? WireCoding.decode(NodeAgent.LocalTaskRunReport.self, from: Data(result.stdout.utf8))
        return NodeAgent.Run(status: result.status, report: report, stderr: result.stderr, stdout: result.stdout)
    }

    static let vars = [
        "deploy_key=ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl test@shoal",
        "bacalhau_binary=/bin/true", "executor_binary=/bin/true", "miner_binary=/bin/true", "validator_binary=/bin/true",
        "orchestrator=10.213.0.1:4222", "executor=127.0.0.1:50051", "miner=127.0.0.1:8092",
    ]

    @Test func everyProfileInCheckModeChangesNothingAndReportsEachStep() async throws {
        let profiles = try FileManager.default.contentsOfDirectory(atPath: Self.profileDirectory).filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
        #expect(profiles == ["bacalhau-compute", "bacalhau-orchestrator", "base-hardening", "basilica-executor", "basilica-miner", "basilica-validator", "docker-host", "nvidia-gpu-node"])
        try await Testbed.withNodes(count: 1, binds: try await NodeAgent.binds()) { nodes in
            let node = nodes[0]
            try await Self.copyProfiles(to: node)
            let before = try await NodeAgent.fingerprint(node)
            for profile in profiles {
                let run = try await Self.apply(node, profile, check: true, vars: Self.vars)
                let report = try #require(run.report, "\(profile): \(run.stdout) \(run.stderr)")
                #expect(!report.steps.isEmpty, "\(profile)")
                if profile.contains("nvidia") || profile == "basilica-executor" {
                    // No GPU here: the profile says so first, with the code that names the fix.
                    #expect(run.status == 1, "\(profile)")
                    #expect(report.steps.first?.errorCode?.rawValue == "nvidia.driver_missing", "\(profile)")
                } else {
                    #expect(run.status == 0, "\(profile): \(run.stdout)")
                    #expect(report.steps.allSatisfy { $0.status != .failed }, "\(profile)")
                    // A fresh node needs work from every profile.
                    #expect(report.steps.contains { $0.status == .changed || $0.status == .unknown }, "\(profile)")
                    // Anything check mode cannot tell is said, never counted as ok.
                    #expect(report.steps.filter { $0.status == .unknown }.allSatisfy { !($0.message ?? "").isEmpty }, "\(profile)")
                }
            }
            #expect(try await NodeAgent.fingerprint(node) == before)
        }
    }

    @Test func baseHardeningLocksTheNodeDownKeepsTheOperatorInAndIsIdempotent() async throws {
        try await Testbed.withNodes(count: 1, binds: try await NodeAgent.binds()) { nodes in
            let node = nodes[0]
            try await Self.copyProfiles(to: node)
            let keyDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-key-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: keyDirectory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: keyDirectory) }
            let key = keyDirectory + "/id"
            let keygen = try await Testbed.runOnHost("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key])
            #expect(keygen.succeeded)
            let publicKey = try String(contentsOfFile: key + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)

            let first = try await Self.apply(node, "base-hardening", check: false, vars: ["deploy_key=\(publicKey)"])
            #expect(first.status == 0, "\(first.stdout) \(first.stderr)")
            #expect(first.report?.step("key-only SSH, no root login")?.status == .changed)
            #expect(try await node.exec(["ufw", "status"]).stdout.contains("Status: active"))
            #expect(try await node.exec(["systemctl", "is-active", "fail2ban"]).stdout == "active\n")

            let ssh = ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10"]
            let deploy = try await Testbed.runOnHost("/usr/bin/ssh", ssh + ["-i", key, "deploy@\(node.ip)", "sudo -n true && id -nG"])
            #expect(deploy.succeeded, "\(deploy.stderr)")
            #expect(deploy.stdout.contains("sudo"))
            let root = try await Testbed.runOnHost("/usr/bin/ssh", ssh + ["-i", node.sshKeyPath, "root@\(node.ip)", "true"])
            #expect(root.status == 255)
            #expect(root.stderr.contains("Permission denied"))

            let second = try await Self.apply(node, "base-hardening", check: false, vars: ["deploy_key=\(publicKey)"])
            #expect(second.status == 0)
            #expect(second.report?.steps.allSatisfy { $0.status == .unchanged } == true, "\(second.stdout)")
            let check = try await Self.apply(node, "base-hardening", check: true, vars: ["deploy_key=\(publicKey)"])
            #expect(check.report?.steps.allSatisfy { $0.status == .unchanged } == true, "\(check.stdout)")
        }
    }
}
}
