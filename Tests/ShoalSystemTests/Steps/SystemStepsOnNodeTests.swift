import Foundation
import ShoalAgent
import ShoalCore
import ShoalTestSupport
import Testing

/// The system step kinds on real Debian 12 nodes (systemd, sshd, ufw, useradd), each run
/// by the debug agent inside the node with `agent apply FILE --json`: check changes
/// nothing, apply changes, a second apply is unchanged, and the operator can still get in.
@Suite("System steps on a real node")
struct SystemStepsOnNodeTests {
    static let agent = Testbed.packageRoot + "/.build/debug/agent"

    func withNode(_ body: (TestbedNode) async throws -> Void) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.agent), "build first: swift build")
        let binds = [Testbed.packageRoot + "/.build"] + (try await Testbed.runtimeBinds(forExecutable: Self.agent))
        try await Testbed.withNodes(count: 1, binds: binds) { nodes in
            try await body(try #require(nodes.first))
        }
    }

    /// Writes the task file into the node, runs `agent apply` and decodes its JSON report.
    func apply(_ yaml: String, on node: TestbedNode, check: Bool = false) async throws -> LocalTaskRun.Report {
        try await node.writeFile(path: "/root/task.yaml", contents: Data(yaml.utf8))
        let result = try await node.exec([Self.agent, "apply", "/root/task.yaml", "--json"] + (check ? ["--check"] : []), timeout: .seconds(300))
        guard let json = result.stdout.split(separator: "\n").last(where: { $0.hasPrefix("{") }) else {
            throw TestbedError("agent apply printed no report (exit \(result.status)): \(result.stdout) \(result.stderr)")
        }
        return try WireCoding.decode(LocalTaskRun.Report.self, from: Data(json.utf8))
    }

    func statuses(_ report: LocalTaskRun.Report) -> [StepStatus] { report.steps.map(\.status) }

    func out(_ node: TestbedNode, _ argv: [String]) async throws -> String {
        try await node.exec(argv).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The harness's public key, so a user created by a step can be reached over real SSH.
    func harnessPublicKey(_ node: TestbedNode) async throws -> String {
        let result = try await Testbed.runOnHost("/usr/bin/ssh-keygen", ["-y", "-f", node.sshKeyPath])
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func ssh(_ node: TestbedNode, as user: String, _ command: String) async throws -> TestbedResult {
        let arguments = node.sshArguments.dropLast() + ["\(user)@\(node.ip)", "--", command]
        return try await Testbed.runOnHost("/usr/bin/ssh", Array(arguments), timeout: .seconds(60))
    }

    func deployUserTask(_ key: String) -> String {
        """
        name: deploy user
        steps:
          - name: deploy
            user: { name: deploy, shell: /bin/bash, groups: [sudo], authorizedKeys: ["\(key)"] }
        """
    }

    @Test("user: creates a key-only deploy user that can log in over SSH; second apply unchanged")
    func userStep() async throws {
        try await withNode { (node: TestbedNode) async throws in
            let task = deployUserTask(try await harnessPublicKey(node))
            #expect(statuses(try await apply(task, on: node, check: true)) == [.changed])
            #expect(try await node.exec(["getent", "passwd", "deploy"]).status != 0, "check mode created nothing")
            let first = try await apply(task, on: node)
            #expect(first.status == .succeeded, "\(first.steps.map { $0.message ?? "" })")
            #expect(try await out(node, ["id", "-nG", "deploy"]).split(separator: " ").contains("sudo"))
            #expect(try await out(node, ["stat", "-c", "%a %U", "/home/deploy/.ssh", "/home/deploy/.ssh/authorized_keys"]) == "700 deploy\n600 deploy")
            #expect(try await out(node, ["sh", "-c", "getent shadow deploy | cut -d: -f2"]).hasPrefix("!"))
            #expect(try await ssh(node, as: "deploy", "id -un").stdout.contains("deploy"))
            #expect(statuses(try await apply(task, on: node)) == [.unchanged])
        }
    }

    @Test("group: creates a group with its gid; second apply unchanged")
    func groupStep() async throws {
        try await withNode { (node: TestbedNode) async throws in
            let task = "name: group\nsteps:\n  - name: gpu ops\n    group: { name: gpu-ops, gid: 4242 }\n"
            #expect(statuses(try await apply(task, on: node, check: true)) == [.changed])
            #expect(statuses(try await apply(task, on: node)) == [.changed])
            #expect(try await out(node, ["getent", "group", "gpu-ops"]) == "gpu-ops:x:4242:")
            #expect(statuses(try await apply(task, on: node)) == [.unchanged])
        }
    }

    @Test("sysctl: refuses cleanly on a read-only /proc/sys; once writable sets live values and persists them; second apply unchanged")
    func sysctlStep() async throws {
        try await withNode { (node: TestbedNode) async throws in
            let task = "name: tuning\nsteps:\n  - name: net tuning\n    sysctl: { settings: { net.core.somaxconn: 1024 } }\n"
            let before = try await out(node, ["cat", "/proc/sys/net/core/somaxconn"])
            try #require(before != "1024")
            // nspawn mounts /proc/sys read-only, as container runtimes do: a real failure mode.
            let readOnly = try await apply(task, on: node)
            #expect(readOnly.steps.first?.errorCode == "sysctl.write_failed")
            #expect(try await node.exec(["test", "-e", "/etc/sysctl.d/90-shoal-net-tuning.conf"]).status != 0, "no file after a refused value")
            // nspawn itself makes /proc/sys/net writable when the node owns its network
            // namespace (it does here); the harness joins a prepared one, so do the same.
            let remount = try await node.exec(["sh", "-c", "mount --bind /proc/sys/net /proc/sys/net && mount -o remount,bind,rw /proc/sys/net"])
            try #require(remount.status == 0, "\(remount.stderr)")
            #expect(statuses(try await apply(task, on: node, check: true)) == [.changed])
            #expect(try await out(node, ["cat", "/proc/sys/net/core/somaxconn"]) == before)
            #expect(statuses(try await apply(task, on: node)) == [.changed])
            #expect(try await out(node, ["cat", "/proc/sys/net/core/somaxconn"]) == "1024")
            #expect(try await out(node, ["cat", "/etc/sysctl.d/90-shoal-net-tuning.conf"]).contains("net.core.somaxconn = 1024"))
            #expect(statuses(try await apply(task, on: node)) == [.unchanged])
            let unknown = try await apply("name: bad\nsteps:\n  - sysctl: { settings: { net.ipv4.no_such_key: 1 } }\n", on: node)
            #expect(unknown.steps.first?.errorCode == "sysctl.unknown_key")
        }
    }

    @Test("ufw: turns on default-deny with SSH allowed and SSH still works; refuses a purge that drops SSH")
    func ufwStep() async throws {
        try await withNode { (node: TestbedNode) async throws in
            let missing = try await apply("name: fw\nsteps:\n  - ufw: { enabled: true, rules: [{ port: 22, proto: tcp }] }\n", on: node, check: true)
            #expect(missing.steps.first?.errorCode == "ufw.not_installed")
            let install = try await node.exec(["sh", "-c", "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ufw"], timeout: .seconds(600))
            try #require(install.status == 0, "\(install.stderr.suffix(2000))")
            let task = """
                name: firewall
                steps:
                  - name: executor firewall
                    ufw:
                      defaultIncoming: deny
                      defaultOutgoing: allow
                      enabled: true
                      rules:
                        - { port: 22, proto: tcp, comment: ssh }
                        - { port: 50051, proto: tcp, comment: executor grpc }
                        - { port: 9090, proto: tcp, from: 10.0.0.0/8, comment: metrics }
                """
            #expect(statuses(try await apply(task, on: node, check: true)) == [.changed])
            #expect(try await out(node, ["ufw", "status"]) == "Status: inactive")
            let first = try await apply(task, on: node)
            #expect(first.status == .succeeded, "\(first.steps.map { $0.message ?? "" })")
            #expect(try await out(node, ["ufw", "status"]).hasPrefix("Status: active"))
            #expect(try await node.ssh("true").status == 0, "SSH still gets in")
            #expect(statuses(try await apply(task, on: node)) == [.unchanged])
            let dropSSH = task.replacingOccurrences(of: "        - { port: 22, proto: tcp, comment: ssh }\n", with: "") + "\n      purge: true\n"
            let refused = try await apply(dropSSH, on: node)
            #expect(refused.steps.first?.errorCode == "ufw.would_lock_out")
            #expect(try await node.ssh("true").status == 0)
        }
    }

    @Test("ssh_hardening: key-only, no root login, sshd reloaded; deploy still gets in, root does not; refuses a lock-out")
    func sshHardeningStep() async throws {
        try await withNode { (node: TestbedNode) async throws in
            let harden = "name: harden\nsteps:\n  - ssh_hardening: { permitRootLogin: \"no\", allowUsers: [deploy], maxAuthTries: 3 }\n"
            let lockout = try await apply(harden, on: node)
            #expect(lockout.steps.first?.errorCode == "ssh.lockout", "deploy has no key yet")
            #expect(try await node.ssh("true").status == 0)

            #expect(try await apply(deployUserTask(try await harnessPublicKey(node)), on: node).status == .succeeded)
            #expect(statuses(try await apply(harden, on: node, check: true)) == [.changed])
            let first = try await apply(harden, on: node)
            #expect(first.status == .succeeded, "\(first.steps.map { $0.message ?? "" })")
            let effective = try await out(node, ["sshd", "-T"])
            for line in ["passwordauthentication no", "kbdinteractiveauthentication no", "permitrootlogin no", "x11forwarding no", "maxauthtries 3"] {
                #expect(effective.contains(line), "\(line)")
            }
            #expect(first.steps.first?.message?.contains("sshd listens again") == true, "\(first.steps.first?.message ?? "")")
            // At once: the step returned only after sshd's re-exec opened its new listening socket.
            let deploy = try await ssh(node, as: "deploy", "id -un")
            #expect(deploy.stdout.contains("deploy"), "\(deploy.stderr)")
            let root = try await node.ssh("true")
            #expect(root.status != 0 && root.stderr.contains("Permission denied"), "root login is off after the reload: \(root.stderr)")
            #expect(statuses(try await apply(harden, on: node)) == [.unchanged])
        }
    }
}
