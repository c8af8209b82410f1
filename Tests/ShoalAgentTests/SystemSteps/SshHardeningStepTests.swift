import Foundation
@testable import ShoalAgent
import ShoalCore
import Testing

/// The ssh_hardening step on a private sshd configuration validated by the real sshd
/// (`sshd -t -f`, `sshd -T -f`), with accounts and homes under a test prefix. sshd is never
/// started; "reload" is a script that counts its calls.
@Suite("SSH hardening step")
struct SshHardeningStepTests {
    let dir: TemporaryDirectory
    let accounts: String
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBm1rdsLbBF7+2Bp0Ah1FHkHn0x2nKHcIpXOQzcg2lC1 ops@laptop"

    init() async throws {
        dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.file("sshd_config.d"), withIntermediateDirectories: true)
        try await SystemStepFixtures.run(["/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.file("host_key")], in: dir)
        try dir.write("sshd_config", "Include \(dir.file("sshd_config.d"))/*.conf\nHostKey \(dir.file("host_key"))\nPidFile \(dir.file("sshd.pid"))\nPasswordAuthentication yes\nX11Forwarding yes\n")
        try dir.write("reload", "#!/bin/sh\necho reloaded >> \(dir.file("reloads"))\n")
        chmod(dir.file("reload"), 0o755)
        accounts = dir.file("root")
        try dir.write("root/etc/passwd", "root:x:0:0:root:/root:/bin/bash\ndeploy:x:1000:1000::/home/deploy:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")
        try dir.write("root/etc/group", "root:x:0:\ndeploy:x:1000:\n")
    }

    var paths: SshHardeningStep.Paths {
        .init(mainConfig: dir.file("sshd_config"), dropIn: dir.file("sshd_config.d/50-shoal-hardening.conf"), accountsRoot: accounts, reload: [dir.file("reload")])
    }

    func step(_ params: [String: JSONValue] = [:], paths: SshHardeningStep.Paths? = nil) throws -> SshHardeningStep {
        try SshHardeningStep(spec: SystemStepFixtures.spec(SshHardeningStep.kind, name: "harden ssh", params), paths: paths ?? self.paths)
    }

    func giveDeployAKey() throws { try dir.write("root/home/deploy/.ssh/authorized_keys", key + "\n") }
    var reloads: Int { dir.lines("reloads").count }
    var dropIn: String { SystemStepFixtures.read(paths.dropIn) }

    @Test("check shows the drop-in diff, writes nothing and does not reload")
    func checkMode() async throws {
        try giveDeployAKey()
        let outcome = try await step().check(in: SystemStepFixtures.context(dir))
        #expect(outcome.status == .changed)
        #expect(outcome.diff?.contains("+PasswordAuthentication no") == true)
        #expect(outcome.diff?.contains("+PermitRootLogin no") == true)
        #expect(!dir.exists("sshd_config.d/50-shoal-hardening.conf"))
        #expect(reloads == 0)
    }

    @Test("apply writes a drop-in the real sshd accepts and whose settings win, reloads once; a second apply is unchanged and does not reload")
    func applyThenUnchanged() async throws {
        try giveDeployAKey()
        let params: [String: JSONValue] = ["allowUsers": SystemStepFixtures.strings(["deploy"]), "maxAuthTries": .number(3)]
        let first = try await step(params).apply(in: SystemStepFixtures.context(dir))
        #expect(first.status == .changed, "\(first.message ?? "")")
        #expect(dropIn.contains("KbdInteractiveAuthentication no\n") && dropIn.contains("AllowUsers deploy\n") && dropIn.contains("MaxAuthTries 3\n"))
        #expect(reloads == 1)
        // The real sshd reads the result as the baseline, despite "PasswordAuthentication yes" in the main file.
        let effective = try await SystemStepFixtures.run(["/usr/sbin/sshd", "-T", "-f", paths.mainConfig], in: dir).stdout
        for line in ["passwordauthentication no", "kbdinteractiveauthentication no", "permitrootlogin no", "x11forwarding no", "maxauthtries 3", "allowusers deploy"] {
            #expect(effective.contains(line + "\n"), "\(line)")
        }
        let second = try await step(params).apply(in: SystemStepFixtures.context(dir))
        #expect(second.status == .unchanged)
        #expect(reloads == 1)
    }

    @Test("refuses with ssh.lockout when no user left allowed to log in has a key")
    func lockout() async throws {
        let nobodyHasKeys = try await step().apply(in: SystemStepFixtures.context(dir))
        #expect(nobodyHasKeys.errorCode == "ssh.lockout")
        #expect(nobodyHasKeys.message?.contains("deploy") == true)
        #expect(!dir.exists("sshd_config.d/50-shoal-hardening.conf"))

        try giveDeployAKey()
        let onlyOthersAllowed = try await step(["allowUsers": SystemStepFixtures.strings(["ops"])]).check(in: SystemStepFixtures.context(dir))
        #expect(onlyOthersAllowed.errorCode == "ssh.lockout")
        #expect(onlyOthersAllowed.message?.contains("no user would be allowed") == true)
    }

    @Test("root's key counts only with permitRootLogin prohibit-password")
    func rootKey() async throws {
        try dir.write("root/root/.ssh/authorized_keys", key + "\n")
        #expect(try await step().check(in: SystemStepFixtures.context(dir)).errorCode == "ssh.lockout")
        let outcome = try await step(["permitRootLogin": .string("prohibit-password")]).apply(in: SystemStepFixtures.context(dir))
        #expect(outcome.status == .changed, "\(outcome.message ?? "")")
        #expect(dropIn.contains("PermitRootLogin prohibit-password\n"))
    }

    @Test("an earlier drop-in overriding the baseline (cloud-init style) fails ssh.overridden and the old state is restored")
    func overridden() async throws {
        try giveDeployAKey()
        try dir.write("sshd_config.d/50-cloud-init.conf", "PasswordAuthentication yes\n")
        let outcome = try await step().apply(in: SystemStepFixtures.context(dir))
        #expect(outcome.errorCode == "ssh.overridden")
        #expect(outcome.message?.contains("50-cloud-init.conf") == true)
        #expect(!dir.exists("sshd_config.d/50-shoal-hardening.conf"))
        #expect(reloads == 0)
    }

    @Test("a configuration sshd -t rejects fails ssh.invalid_config and the previous drop-in is put back")
    func invalidConfigRestored() async throws {
        try giveDeployAKey()
        try dir.write("sshd_config.d/50-shoal-hardening.conf", "# the old drop-in\nX11Forwarding no\n")
        try dir.write("sshd_config.d/60-broken.conf", "NoSuchOption yes\n")
        let outcome = try await step().apply(in: SystemStepFixtures.context(dir))
        #expect(outcome.errorCode == "ssh.invalid_config")
        #expect(outcome.message?.contains("NoSuchOption") == true)
        #expect(dropIn == "# the old drop-in\nX11Forwarding no\n")
        #expect(reloads == 0)
    }

    @Test("a failed reload fails ssh.reload_failed and restores the old files")
    func reloadFails() async throws {
        try giveDeployAKey()
        var failing = paths
        failing.reload = ["/bin/false"]
        let outcome = try await step(paths: failing).apply(in: SystemStepFixtures.context(dir))
        #expect(outcome.errorCode == "ssh.reload_failed")
        #expect(!dir.exists("sshd_config.d/50-shoal-hardening.conf"))
    }

    @Test("a main config without an Include of the drop-in folder gets one on top, and sshd then reads the drop-in")
    func addsInclude() async throws {
        try giveDeployAKey()
        try dir.write("sshd_config", "HostKey \(dir.file("host_key"))\nPidFile \(dir.file("sshd.pid"))\nPasswordAuthentication yes\n")
        let check = try await step().check(in: SystemStepFixtures.context(dir))
        #expect(check.message?.contains("would add an Include") == true)
        #expect(check.diff?.contains("+Include \(dir.file("sshd_config.d"))/*.conf") == true)
        let outcome = try await step().apply(in: SystemStepFixtures.context(dir))
        #expect(outcome.status == .changed, "\(outcome.message ?? "")")
        #expect(dir.lines("sshd_config").contains("Include \(dir.file("sshd_config.d"))/*.conf"))
        #expect(try await step().apply(in: SystemStepFixtures.context(dir)).status == .unchanged)
    }

    @Test("bad permitRootLogin, empty allowUsers and out-of-range maxAuthTries are step.invalid")
    func invalid() throws {
        #expect(throws: ShoalError.self) { try step(["permitRootLogin": .string("yes")]) }
        #expect(throws: ShoalError.self) { try step(["allowUsers": .array([])]) }
        #expect(throws: ShoalError.self) { try step(["maxAuthTries": .number(0)]) }
    }
}
