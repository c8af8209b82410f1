import Foundation
import ShoalCore
#if canImport(Glibc)
import Glibc
#endif

/// `~/.ssh/authorized_keys` owned by a user step: the folder 0700 and the file 0600, both
/// owned by the user, content exactly the listed keys. Owner and group are given as numbers
/// so it works for a user the step has only just created (and under a test prefix).
struct AuthorizedKeysFile: Sendable {
    var home: String
    var uid: UInt32
    var gid: UInt32
    var keys: [String]

    var directory: String { home + "/.ssh" }
    var path: String { directory + "/authorized_keys" }

    var content: Data {
        Data(keys.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.map { $0 + "\n" }.joined().utf8)
    }

    var managedFile: ManagedFile {
        ManagedFile(path: path, content: content, owner: String(uid), group: String(gid), mode: 0o600)
    }

    /// What would change, as a diff plus "# …" attribute lines; empty when nothing would.
    func plan() throws -> String {
        let folder = PathState.read(directory)
        switch folder.kind {
        case .absent:
            let added = UnifiedDiff.make(old: "", new: String(decoding: content, as: UTF8.self), oldLabel: "/dev/null", newLabel: path)
            return "# new folder \(directory): mode 0700, owner \(uid):\(gid)\n" + added + "# new file: mode 0600, owner \(uid):\(gid)\n"
        case .directory:
            var lines = ""
            if folder.mode != 0o700 { lines += "# \(directory): mode \(Ownership.modeText(folder.mode)) -> 0700\n" }
            if folder.uid != uid || folder.gid != gid { lines += "# \(directory): owner \(folder.uid):\(folder.gid) -> \(uid):\(gid)\n" }
            return lines + (try managedFile.plan().diff)
        default:
            throw ShoalError(.userInvalidHome, "\(directory) is a \(folder.kind.rawValue), not a folder; Shoal will not write keys through it — remove it and re-run")
        }
    }

    /// Makes folder and file so; returns the diff of what changed (empty: nothing did).
    func apply() throws -> String {
        let diff = try plan()
        guard !diff.isEmpty else { return "" }
        guard PathState.read(home).kind == .directory else {
            throw ShoalError(.userInvalidHome, "home folder \(home) does not exist, so authorized_keys cannot be written; set createHome: true or create it first")
        }
        if PathState.read(directory).kind == .absent, mkdir(directory, 0o700) != 0 {
            throw AtomicFileWriter.failure("cannot create folder", path: directory)
        }
        guard chown(directory, uid, gid) == 0, chmod(directory, 0o700) == 0 else {
            throw AtomicFileWriter.failure("cannot set owner and mode", path: directory)
        }
        try managedFile.apply()
        return diff
    }
}
