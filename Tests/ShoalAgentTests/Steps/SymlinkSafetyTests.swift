import Foundation
@testable import ShoalAgent
import ShoalCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Root never follows a symlink it did not mean to: real files, real symlinks, as root. A
/// "victim" folder stands in for /etc; after each attack it must be exactly as it was.
@Suite("Symlink safety of file-writing steps")
struct SymlinkSafetyTests {
    let dir: TemporaryDirectory
    let victim: String
    /// An unprivileged owner for the "user's" folders; it need not exist in /etc/passwd.
    let userID: UInt32 = 4242
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBm1rdsLbBF7+2Bp0Ah1FHkHn0x2nKHcIpXOQzcg2lC1 ops@laptop"

    init() throws {
        dir = try TemporaryDirectory()
        victim = dir.file("victim-etc")
        try dir.write("victim-etc/passwd", "root:x:0:0:root:/root:/bin/bash\n")
        try dir.write("victim-etc/shadow", "root:*:19000:0:99999:7:::\n")
        chmod(victim, 0o755)
        chmod(victim + "/shadow", 0o640)
    }

    func context() -> StepContext {
        StepContext(nodeID: "n-1", bundleID: "b-1", stepIndex: 0, files: [:], outputPrefix: dir.file("out"), remaining: nil)
    }

    func step(_ kind: String, _ params: [String: JSONValue]) throws -> any Step {
        try StepRegistry.make(StepSpec(kind: kind, name: "t", params: .object(params)))
    }

    /// Everything about the victim folder a root write or chown could change.
    func victimState() throws -> [String] {
        let top = try PathState.read(victim)
        var lines = ["\(top.kind) \(top.mode) \(top.uid):\(top.gid)"]
        for name in try FileManager.default.contentsOfDirectory(atPath: victim).sorted() {
            let state = try PathState.read(victim + "/" + name)
            let content = FileManager.default.contents(atPath: victim + "/" + name)?.sha256Hex ?? "-"
            lines.append("\(name) \(state.kind) \(state.mode) \(state.uid):\(state.gid) \(content)")
        }
        return lines
    }

    /// A home folder owned by the unprivileged user, as useradd leaves it.
    func userHome(withSSH: Bool) throws -> String {
        let home = dir.file("home/deploy")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        chown(home, userID, userID)
        if withSSH {
            mkdir(home + "/.ssh", 0o700)
            chown(home + "/.ssh", userID, userID)
        }
        return home
    }

    /// What the user can do in a folder they own: put a symlink of their own there.
    func userSymlink(_ target: String, at path: String) throws {
        try? FileManager.default.removeItem(atPath: path)
        #expect(symlink(target, path) == 0)
        lchown(path, userID, userID)
    }

    func expectRefusal(_ outcome: StepOutcome, naming component: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(outcome.status == .failed, sourceLocation: sourceLocation)
        #expect(outcome.errorCode == .fileInvalidTarget, sourceLocation: sourceLocation)
        #expect(outcome.message?.contains("\(component) is a symlink") == true, "\(outcome.message ?? "")", sourceLocation: sourceLocation)
        #expect(outcome.message?.contains("does not write through symlinks") == true, sourceLocation: sourceLocation)
    }

    @Test("a user swaps ~/.ssh for a symlink to /etc between plan and apply: root writes and chowns nothing there")
    func sshFolderSwappedBetweenPlanAndApply() throws {
        for hadSSH in [false, true] {
            let home = try userHome(withSSH: hadSSH)
            let before = try victimState()
            let keys = AuthorizedKeysFile(home: home, uid: userID, gid: userID, keys: [key])
            let plan = try keys.plan()
            #expect(plan.contains("authorized_keys"))

            try userSymlink(victim, at: home + "/.ssh")
            let error = #expect(throws: ShoalError.self) { try keys.apply() }
            #expect(error?.code == .fileInvalidTarget)
            #expect(error?.message.contains("\(home)/.ssh is a symlink (to \(victim))") == true, "\(error?.message ?? "")")
            #expect(try victimState() == before)
            #expect(!FileManager.default.fileExists(atPath: victim + "/authorized_keys"))
            try FileManager.default.removeItem(atPath: dir.file("home"))
        }
    }

    @Test("a user swaps ~/.ssh for a symlink to /etc inside apply, after its plan: refused at the descriptor, nothing written or chowned")
    func sshFolderSwappedDuringApply() throws {
        for hadSSH in [false, true] {
            let home = try userHome(withSSH: hadSSH)
            let before = try victimState()
            let swap: @Sendable () -> Void = { [victim, userID] in
                try? FileManager.default.removeItem(atPath: home + "/.ssh")
                symlink(victim, home + "/.ssh")
                lchown(home + "/.ssh", userID, userID)
            }
            let keys = AuthorizedKeysFile(home: home, uid: userID, gid: userID, keys: [key], afterPlan: swap)
            let error = #expect(throws: ShoalError.self) { try keys.apply() }
            #expect(error?.code == .fileInvalidTarget)
            #expect(error?.message.contains("\(home)/.ssh is a symlink (to \(victim))") == true, "\(error?.message ?? "")")
            #expect(try victimState() == before)
            try FileManager.default.removeItem(atPath: dir.file("home"))
        }
    }

    @Test("a user who moves ~/.ssh away after it was opened only moves where their own keys land")
    func sshFolderMovedAfterOpen() throws {
        let home = try userHome(withSSH: true)
        let before = try victimState()
        let keys = AuthorizedKeysFile(home: home, uid: userID, gid: userID, keys: [key])
        // The folder is opened as apply opens it; then the user renames it and puts a link to
        // "/etc" in its place before the key file is written through the descriptor.
        let opened = try #require(try SafeDirectory.open(home + "/.ssh"))
        #expect(rename(home + "/.ssh", home + "/ssh-moved") == 0)
        try userSymlink(victim, at: home + "/.ssh")
        try keys.managedFile.apply(in: opened, name: "authorized_keys")
        #expect(try victimState() == before)
        #expect(SystemStepFixtures.read(home + "/ssh-moved/authorized_keys") == key + "\n")
        #expect(try PathState.read(home + "/ssh-moved/authorized_keys").uid == userID)
    }

    @Test("the user step, on a managed user whose ~/.ssh became a symlink to /etc, refuses in check and apply and leaves it untouched")
    func userStepRefusesSymlinkedSSH() async throws {
        let root = try SystemStepFixtures.accountsRoot(in: dir)
        let spec = SystemStepFixtures.spec(UserStep.kind, name: "deploy", ["name": .string("deploy"), "authorizedKeys": SystemStepFixtures.strings([key])])
        let first = await (try UserStep(spec: spec, root: root)).apply(in: SystemStepFixtures.context(dir))
        #expect(first.status == .changed, "\(first.message ?? "")")
        let user = try #require(AccountDatabase.read(root: root).user("deploy"))
        let home = root + user.home
        #expect(try PathState.read(home).uid == user.uid)

        // The user, who owns their home, swaps .ssh for a link to "/etc" (owned by them).
        try FileManager.default.removeItem(atPath: home + "/.ssh")
        #expect(symlink(victim, home + "/.ssh") == 0)
        lchown(home + "/.ssh", user.uid, user.gid)
        let before = try victimState()
        var other = spec
        other.params = .object(["name": .string("deploy"), "authorizedKeys": SystemStepFixtures.strings([key + "2"])])
        for applying in [false, true] {
            let step = try UserStep(spec: other, root: root)
            let outcome = applying ? await step.apply(in: SystemStepFixtures.context(dir)) : await step.check(in: SystemStepFixtures.context(dir))
            expectRefusal(outcome, naming: "/home/deploy/.ssh")
        }
        #expect(try victimState() == before)
    }

    @Test("a symlink as an intermediate component of a file step's path is refused, and nothing is written behind it")
    func intermediateSymlinkRefused() async throws {
        try FileManager.default.createDirectory(atPath: dir.file("real"), withIntermediateDirectories: true)
        #expect(symlink(victim, dir.file("link")) == 0)
        let before = try victimState()
        let file = try step("file", ["path": .string(dir.file("link/app.conf")), "content": .string("x\n")])
        expectRefusal(await file.check(in: context()), naming: dir.file("link"))
        expectRefusal(await file.apply(in: context()), naming: dir.file("link"))
        let template = try step("template", ["path": .string(dir.file("link/t.conf")), "template": .string("x\n")])
        expectRefusal(await template.apply(in: context()), naming: dir.file("link"))
        let folder = try step("directory", ["path": .string(dir.file("link/sub")), "owner": .string(String(userID))])
        expectRefusal(await folder.apply(in: context()), naming: dir.file("link"))
        let removal = try step("file", ["path": .string(dir.file("link/passwd")), "state": .string("absent")])
        expectRefusal(await removal.apply(in: context()), naming: dir.file("link"))
        #expect(try victimState() == before)
    }

    @Test("a symlink as the final component is refused for content, mode and owner changes; the target keeps everything")
    func finalSymlinkRefused() async throws {
        #expect(symlink(victim + "/shadow", dir.file("app.conf")) == 0)
        let before = try victimState()
        let write = try step("file", ["path": .string(dir.file("app.conf")), "content": .string("x\n")])
        expectRefusal(await write.check(in: context()), naming: dir.file("app.conf"))
        expectRefusal(await write.apply(in: context()), naming: dir.file("app.conf"))
        let attributes = try step("file", ["path": .string(dir.file("app.conf")), "mode": .string("0666"), "owner": .string(String(userID))])
        expectRefusal(await attributes.apply(in: context()), naming: dir.file("app.conf"))
        #expect(try victimState() == before)
        #expect(try PathState.read(dir.file("app.conf")).kind == .symlink)
    }

    @Test("a mode change on a file with another hard link is refused: the other path keeps its mode")
    func hardLinkedFileRefused() async throws {
        let original = try dir.write("data/original", "secret\n")
        chmod(original, 0o600)
        #expect(link(original, dir.file("data/alias")) == 0)
        let outcome = await (try step("file", ["path": .string(dir.file("data/alias")), "mode": .string("0644")])).apply(in: context())
        #expect(outcome.errorCode == .fileInvalidTarget)
        #expect(outcome.message?.contains("hard links") == true)
        #expect(try PathState.read(original).mode == 0o600)
    }

    @Test("directory absent removes a tree without following symlinks inside it")
    func removalDoesNotFollowInnerSymlinks() async throws {
        try dir.write("tree/a.txt", "a\n")
        try dir.write("tree/sub/b.txt", "b\n")
        #expect(symlink(victim, dir.file("tree/escape")) == 0)
        #expect(symlink(victim + "/passwd", dir.file("tree/sub/file-link")) == 0)
        let before = try victimState()
        let outcome = await (try step("directory", ["path": .string(dir.file("tree")), "state": .string("absent")])).apply(in: context())
        #expect(outcome.status == .changed, "\(outcome.message ?? "")")
        #expect(!dir.exists("tree"))
        #expect(try victimState() == before)
        #expect(FileManager.default.fileExists(atPath: victim + "/passwd"))
    }

    @Test("an atomic write creates its temporary file in the opened folder and renames it there, even if the path is swapped meanwhile")
    func atomicWriteStaysInOpenedFolder() throws {
        try FileManager.default.createDirectory(atPath: dir.file("conf"), withIntermediateDirectories: true)
        let opened = try #require(try SafeDirectory.open(dir.file("conf")))
        // After the walk, the folder is moved away and its path pointed at "/etc".
        #expect(rename(dir.file("conf"), dir.file("moved")) == 0)
        #expect(symlink(victim, dir.file("conf")) == 0)
        let before = try victimState()
        try AtomicFileWriter.write(Data("new\n".utf8), in: opened, name: "app.conf", mode: 0o640, uid: userID, gid: userID)
        #expect(try victimState() == before)
        // The file (and no leftover temporary) is in the folder that was opened.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("moved")) == ["app.conf"])
        #expect(dir.lines("moved/app.conf") == ["new"])
        let state = try PathState.read(dir.file("moved/app.conf"))
        #expect(state.mode == 0o640 && state.uid == userID)
    }

    @Test("paths are walked lexically: .. and doubled slashes reach the same folder, and / itself is a folder")
    func normalizedWalk() throws {
        try dir.write("x/y/f", "f\n")
        #expect(try PathState.read(dir.path + "/x//y/../y/./f").kind == .file)
        #expect(try PathState.read("/").kind == .directory)
        #expect(SafeDirectory.normalize("/a/./b/../c//d/") == "/a/c/d")
        #expect(try PathState.read(dir.file("missing/deeper/f")).kind == .absent)
    }
}
