import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file's content and attributes before a step changed it, so a failed validation can
/// put it back exactly (or remove it again if it did not exist). Read and restored through
/// `SafeDirectory`, so neither follows a symlink.
struct FileSnapshot: Sendable {
    var path: String
    var content: Data?
    var state: PathState

    /// Throws `file.invalid_target` when a symlink is on the path or at it.
    init(_ path: String) throws {
        self.path = path
        let (directory, name) = try SafeDirectory.parent(of: path)
        self.state = directory?.state(of: name) ?? .absent
        if state.kind == .symlink, let directory { throw directory.refusal(name) }
        self.content = state.kind == .file ? try directory?.read(name) : nil
    }

    /// Best effort: restoring runs on a failure path whose error is the one worth reporting.
    func restore() {
        guard let content else {
            if state.kind == .absent, let parent = try? SafeDirectory.parent(of: path) {
                try? parent.directory?.remove(parent.name)
            }
            return
        }
        try? AtomicFileWriter.write(content, to: path, mode: state.mode, uid: state.uid, gid: state.gid)
    }
}
