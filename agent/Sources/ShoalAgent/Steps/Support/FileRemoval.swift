import Foundation
import ShoalCore

/// Removes a file or directory for `state: absent`, refusing paths where a slip would be a
/// disaster. The path is reached through `SafeDirectory`'s walk, and a folder is removed
/// entry by entry through descriptors (`unlinkat`), so a symlink inside it is removed as a
/// link — what it points to is never touched.
struct FileRemoval {
    var path: String
    var expect: PathState.Kind
    /// The step is marked `sensitive: true`: the diff shows size and hash only.
    var sensitive = false

    static let protected: Set<String> = ["/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var"]

    func run(applying: Bool) throws -> StepOutcome {
        let normalized = SafeDirectory.normalize(path)
        guard !Self.protected.contains(normalized) else {
            throw ShoalError(.fileInvalidTarget, "refusing to remove \(normalized): it is a system folder")
        }
        let (directory, name) = try SafeDirectory.parent(of: normalized)
        let state = directory?.state(of: name) ?? .absent
        guard let directory, state.kind != .absent else {
            return StepOutcome(status: .unchanged, message: "\(path) is absent")
        }
        guard state.kind == expect || state.kind == .symlink else {
            throw ShoalError(.fileInvalidTarget, "\(path) is a \(state.kind.rawValue), not a \(expect.rawValue); use the \(state.kind == .directory ? "directory" : "file") step to remove it")
        }
        var diff = "--- \(path)\n+++ /dev/null\n"
        if state.kind == .file, state.size <= 1 << 20, let old = try directory.read(name) {
            let hidden = ContentDiff.hides(sensitive: sensitive, modes: [state.mode])
            diff = ContentDiff.describe(old: old, new: Data(), path: path, removing: true, hidden: hidden)
        }
        guard applying else {
            return StepOutcome(status: .changed, message: "would remove \(path)", diff: diff)
        }
        if state.kind == .directory {
            try Self.removeTree(name, in: directory)
        } else {
            try directory.remove(name)
        }
        return StepOutcome(status: .changed, message: "removed \(path)", diff: diff)
    }

    /// Removes the folder `name` and everything in it, one descriptor per level; entries are
    /// judged with fstatat (no following), so a symlink is unlinked, never descended into.
    static func removeTree(_ name: String, in parent: SafeDirectory) throws {
        guard let folder = try parent.child(name) else { return }
        for entry in try folder.entries() {
            if folder.state(of: entry).kind == .directory {
                try removeTree(entry, in: folder)
            } else {
                try folder.remove(entry)
            }
        }
        try parent.removeDirectory(name)
    }
}
