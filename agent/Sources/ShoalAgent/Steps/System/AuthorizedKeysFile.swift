import Foundation
import ShoalCore

/// `~/.ssh/authorized_keys` owned by a user step: the folder 0700 and the file 0600, both
/// owned by the user, content exactly the listed keys. Owner and group are given as numbers
/// so it works for a user the step has only just created (and under a test prefix).
///
/// The user owns `~` and `~/.ssh`, so may swap either's entries at any moment: the home is
/// opened through `SafeDirectory`'s walk, `.ssh` is opened (never followed) from that
/// descriptor, and owner, mode and the file are set through descriptors only. The file is
/// 0600, so its diff shows sizes and hashes, not the keys (`ContentDiff`).
struct AuthorizedKeysFile: Sendable {
    var home: String
    var uid: UInt32
    var gid: UInt32
    var keys: [String]
    /// Runs in `apply` between the plan and the change — the moment a user racing the agent
    /// would swap `~/.ssh` — so tests can do exactly that.
    var afterPlan: (@Sendable () -> Void)?

    var directory: String { home + "/.ssh" }
    var path: String { directory + "/authorized_keys" }

    var content: Data { Self.content(keys) }

    static func content(_ keys: [String]) -> Data {
        Data(keys.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.map { $0 + "\n" }.joined().utf8)
    }

    var managedFile: ManagedFile {
        ManagedFile(path: path, content: content, owner: String(uid), group: String(gid), mode: 0o600)
    }

    /// The diff for a `.ssh` folder and key file that do not exist yet.
    static func creationDiff(home: String, keys: [String], owner: String?) -> String {
        let owned = owner.map { ", owner \($0)" } ?? ""
        let file = home + "/.ssh/authorized_keys"
        return "# new folder \(home)/.ssh: mode 0700\(owned)\n"
            + ContentDiff.describe(old: Data(), new: content(keys), path: file, creating: true, hidden: true)
            + "# new file: mode 0600\(owned)\n"
    }

    /// What would change, as a diff plus "# …" attribute lines; empty when nothing would.
    func plan() throws -> String {
        guard let homeFolder = try SafeDirectory.open(home) else {
            return Self.creationDiff(home: home, keys: keys, owner: "\(uid):\(gid)")
        }
        return try plan(in: homeFolder)
    }

    private func plan(in homeFolder: SafeDirectory) throws -> String {
        let folder = homeFolder.state(of: ".ssh")
        switch folder.kind {
        case .absent:
            return Self.creationDiff(home: home, keys: keys, owner: "\(uid):\(gid)")
        case .directory:
            guard let ssh = try homeFolder.child(".ssh") else { return try plan(in: homeFolder) }
            var lines = ""
            if folder.mode != 0o700 { lines += "# \(directory): mode \(Ownership.modeText(folder.mode)) -> 0700\n" }
            if folder.uid != uid || folder.gid != gid { lines += "# \(directory): owner \(folder.uid):\(folder.gid) -> \(uid):\(gid)\n" }
            return lines + (try managedFile.plan(in: ssh, name: "authorized_keys").diff)
        case .symlink:
            throw homeFolder.refusal(".ssh")
        default:
            throw ShoalError(.userInvalidHome, "\(directory) is a \(folder.kind.rawValue), not a folder; Shoal will not write keys through it — remove it and re-run")
        }
    }

    /// Makes folder and file so; returns the diff of what changed (empty: nothing did).
    func apply() throws -> String {
        guard let homeFolder = try SafeDirectory.open(home) else {
            throw ShoalError(.userInvalidHome, "home folder \(home) does not exist, so authorized_keys cannot be written; set createHome: true or create it first")
        }
        let diff = try plan(in: homeFolder)
        guard !diff.isEmpty else { return "" }
        afterPlan?()
        let ssh = try homeFolder.child(".ssh") ?? homeFolder.makeChild(".ssh", mode: 0o700)
        try ssh.setAttributes(uid: uid, gid: gid, mode: 0o700)
        try managedFile.apply(in: ssh, name: "authorized_keys")
        return diff
    }
}
