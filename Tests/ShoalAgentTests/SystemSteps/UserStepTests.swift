import Foundation
@testable import ShoalAgent
import ShoalCore
import Testing

/// The user step against a copy of this host's account files, with the real useradd,
/// usermod and userdel (`--prefix`): real tools, real file formats, host accounts untouched.
@Suite("User step")
struct UserStepTests {
    let dir: TemporaryDirectory
    let root: String
    let key1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBm1rdsLbBF7+2Bp0Ah1FHkHn0x2nKHcIpXOQzcg2lC1 ops@laptop"
    let key2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHkVcJVWnKyq0aD9KYEaSRQ6R84Mo0rQW0p1Ms4nVhOj ci@runner"

    init() throws {
        dir = try TemporaryDirectory()
        root = try SystemStepFixtures.accountsRoot(in: dir)
    }

    func step(_ params: [String: JSONValue], root: String? = nil) throws -> UserStep {
        try UserStep(spec: SystemStepFixtures.spec(UserStep.kind, name: "deploy user", params), root: root ?? self.root)
    }

    var deploy: [String: JSONValue] {
        ["name": .string("deploy"), "shell": .string("/bin/bash"), "groups": SystemStepFixtures.strings(["users", "adm"]), "authorizedKeys": SystemStepFixtures.strings([key1])]
    }

    var accounts: AccountDatabase { AccountDatabase.read(root: root) }

    @Test("check mode on a missing user says what it would do and changes nothing")
    func checkNewUser() async throws {
        let passwd = SystemStepFixtures.read(root + "/etc/passwd")
        let outcome = try await step(deploy).check(in: SystemStepFixtures.context(dir))
        #expect(outcome.status == .changed)
        #expect(outcome.message?.contains("would create user deploy") == true)
        // authorized_keys is 0600: its diff shows size and hash, not the keys.
        #expect(outcome.diff?.contains("sha256 \(Data((key1 + "\n").utf8).sha256Hex)") == true)
        #expect(outcome.diff?.contains(key1) == false)
        #expect(SystemStepFixtures.read(root + "/etc/passwd") == passwd)
        #expect(!FileManager.default.fileExists(atPath: root + "/home/deploy"))
    }

    @Test("check mode says everything apply will do: the user's creation is in the diff the check report shows, before its key file")
    func checkReportNamesUserCreation() async throws {
        let check = try await step(deploy).check(in: SystemStepFixtures.context(dir))
        let result = StepResult(index: 0, name: "deploy user", kind: UserStep.kind, status: check.status, message: check.message, diff: check.diff)
        let report = CheckGroup.report(of: BundleResult(deliveryID: "d", bundleID: "b", taskID: nil, nodeID: "n-1", sequence: nil, status: .succeeded, startedAt: Date(), finishedAt: Date(), steps: [result]))
        #expect(report.contains("# create user deploy\n# new folder /home/deploy/.ssh"), "\(report)")
        let apply = try await step(deploy).apply(in: SystemStepFixtures.context(dir))
        #expect(apply.status == .changed, "\(apply.message ?? "")")
        let done = (apply.message ?? "").replacingOccurrences(of: "changed: ", with: "").split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        // The loop below must have something to check (the user's creation at least).
        #expect(!done.filter { !$0.hasPrefix("write the authorized_keys") }.isEmpty, "\(apply.message ?? "")")
        for action in done where !action.hasPrefix("write the authorized_keys") {
            #expect(report.contains(action), "apply did '\(action)', which check mode did not report:\n\(report)")
        }
    }

    @Test("apply creates the deploy user key-only: shell, groups, locked password, keys 0600 in a 0700 .ssh; a second apply is unchanged")
    func createDeployUser() async throws {
        let first = try await step(deploy).apply(in: SystemStepFixtures.context(dir))
        #expect(first.status == .changed, "\(first.message ?? "")")
        let user = try #require(accounts.user("deploy"))
        #expect(user.shell == "/bin/bash")
        #expect(accounts.supplementaryGroups(of: "deploy").isSuperset(of: ["users", "adm"]))
        #expect(AccountDatabase.isLocked(try #require(accounts.passwords?["deploy"])))
        let sshDir = try PathState.read(root + "/home/deploy/.ssh")
        #expect(sshDir.kind == .directory && sshDir.mode == 0o700 && sshDir.uid == user.uid && sshDir.gid == user.gid)
        let keys = try PathState.read(root + "/home/deploy/.ssh/authorized_keys")
        #expect(keys.kind == .file && keys.mode == 0o600 && keys.uid == user.uid)
        #expect(SystemStepFixtures.read(root + "/home/deploy/.ssh/authorized_keys") == key1 + "\n")

        let second = try await step(deploy).apply(in: SystemStepFixtures.context(dir))
        #expect(second.status == .unchanged, "\(second.message ?? "")")
    }

    @Test("supplementary groups are added to, never taken away")
    func groupsAreAppended() async throws {
        _ = try await step(deploy).apply(in: SystemStepFixtures.context(dir))
        var params = deploy
        params["groups"] = SystemStepFixtures.strings(["sudo"])
        let outcome = try await step(params).apply(in: SystemStepFixtures.context(dir))
        #expect(outcome.status == .changed)
        #expect(outcome.message?.contains("add deploy to groups sudo") == true)
        #expect(accounts.supplementaryGroups(of: "deploy").isSuperset(of: ["users", "adm", "sudo"]))
    }

    @Test("the step owns authorized_keys: a changed key list replaces the file and reports the diff")
    func keysAreReplaced() async throws {
        _ = try await step(deploy).apply(in: SystemStepFixtures.context(dir))
        var params = deploy
        params["authorizedKeys"] = SystemStepFixtures.strings([key2])
        let check = try await step(params).check(in: SystemStepFixtures.context(dir))
        #expect(check.status == .changed)
        #expect(check.diff?.contains("sha256 \(Data((key1 + "\n").utf8).sha256Hex)) -> \(key2.utf8.count + 1) bytes (sha256 \(Data((key2 + "\n").utf8).sha256Hex))") == true, "\(check.diff ?? "")")
        #expect(SystemStepFixtures.read(root + "/home/deploy/.ssh/authorized_keys") == key1 + "\n")
        let apply = try await step(params).apply(in: SystemStepFixtures.context(dir))
        #expect(apply.status == .changed)
        #expect(SystemStepFixtures.read(root + "/home/deploy/.ssh/authorized_keys") == key2 + "\n")
    }

    @Test("shell and lock drift on an existing user are corrected with usermod")
    func driftIsCorrected() async throws {
        _ = try await step(deploy).apply(in: SystemStepFixtures.context(dir))
        try await SystemStepFixtures.run(["/usr/sbin/usermod", "--prefix", root, "--shell", "/bin/sh", "--password", "$6$x$y", "deploy"], in: dir)
        let outcome = try await step(deploy).apply(in: SystemStepFixtures.context(dir))
        #expect(outcome.status == .changed)
        #expect(outcome.message?.contains("change shell of deploy /bin/sh -> /bin/bash") == true)
        #expect(outcome.message?.contains("lock the password of deploy") == true)
        #expect(accounts.user("deploy")?.shell == "/bin/bash")
        #expect(accounts.passwords?["deploy"]?.hasPrefix("!") == true)
    }

    @Test("state absent removes the user with userdel; absent again is unchanged")
    func removeUser() async throws {
        _ = try await step(deploy).apply(in: SystemStepFixtures.context(dir))
        let remove = try step(["name": .string("deploy"), "state": .string("absent"), "removeHome": .bool(true)])
        let outcome = await remove.apply(in: SystemStepFixtures.context(dir))
        #expect(outcome.status == .changed, "\(outcome.message ?? "")")
        #expect(accounts.user("deploy") == nil)
        #expect(!FileManager.default.fileExists(atPath: root + "/home/deploy"))
        #expect(await remove.apply(in: SystemStepFixtures.context(dir)).status == .unchanged)
    }

    @Test("removing root is refused with user.refuse_root, checked against this host's real account files")
    func refuseRoot() async throws {
        let outcome = try await step(["name": .string("root"), "state": .string("absent")], root: "/").check(in: SystemStepFixtures.context(dir))
        #expect(outcome.status == .failed)
        #expect(outcome.errorCode == "user.refuse_root")
        #expect(FileManager.default.fileExists(atPath: "/root"))
    }

    @Test("an existing account already as wanted is unchanged in check mode (host's real nobody and root)")
    func hostAccountsUnchanged() async throws {
        let nobody = try #require(AccountDatabase.read(root: "/").user("nobody"))
        let outcome = try await step(["name": .string("nobody"), "shell": .string(nobody.shell), "home": .string(nobody.home)], root: "/").check(in: SystemStepFixtures.context(dir))
        #expect(outcome.status == .unchanged, "\(outcome.message ?? "")")
        let hostRoot = try #require(AccountDatabase.read(root: "/").user("root"))
        let other = hostRoot.shell == "/bin/sh" ? "/bin/bash" : "/bin/sh"
        let rootCheck = try await step(["name": .string("root"), "shell": .string(other), "passwordLocked": .bool(false)], root: "/").check(in: SystemStepFixtures.context(dir))
        #expect(rootCheck.status == .changed)
        #expect(rootCheck.message == "would change shell of root \(hostRoot.shell) -> \(other)")
    }

    @Test("a supplementary group that does not exist fails with user.unknown_group before anything runs")
    func unknownGroup() async throws {
        var params = deploy
        params["groups"] = SystemStepFixtures.strings(["no-such-group"])
        let outcome = try await step(params).apply(in: SystemStepFixtures.context(dir))
        #expect(outcome.errorCode == "user.unknown_group")
        #expect(accounts.user("deploy") == nil)
    }

    @Test("a uid held by another user fails with user.uid_taken")
    func uidTaken() async throws {
        var params = deploy
        params["uid"] = .number(0)
        let outcome = try await step(params).check(in: SystemStepFixtures.context(dir))
        #expect(outcome.errorCode == "user.uid_taken")
        #expect(outcome.message?.contains("root") == true)
    }

    @Test("invalid names and multi-line keys are step.invalid at decode time")
    func invalidParams() throws {
        #expect(throws: ShoalError.self) { try step(["name": .string("Bad Name")]) }
        #expect(throws: ShoalError.self) { try step(["name": .string("deploy"), "authorizedKeys": SystemStepFixtures.strings(["a\nb"])]) }
        #expect(throws: ShoalError.self) { try step(["name": .string("deploy"), "state": .string("gone")]) }
    }
}
