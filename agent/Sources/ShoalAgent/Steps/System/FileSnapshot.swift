import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file's content and attributes before a step changed it, so a failed validation can
/// put it back exactly (or remove it again if it did not exist).
struct FileSnapshot: Sendable {
    var path: String
    var content: Data?
    var state: PathState

    init(_ path: String) {
        self.path = path
        self.state = PathState.read(path)
        self.content = state.kind == .file ? FileManager.default.contents(atPath: path) : nil
    }

    /// Best effort: restoring runs on a failure path whose error is the one worth reporting.
    func restore() {
        guard let content else {
            if state.kind == .absent { unlink(path) }
            return
        }
        try? AtomicFileWriter.write(content, to: path, mode: state.mode, uid: state.uid, gid: state.gid)
    }
}
