import Foundation
import ShoalCore

/// Removes a file or directory for `state: absent`, refusing paths where a slip would be a disaster.
struct FileRemoval {
    var path: String
    var expect: PathState.Kind

    static let protected: Set<String> = ["/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var"]

    func run(applying: Bool) throws -> StepOutcome {
        let normalized = (path as NSString).standardizingPath
        guard !Self.protected.contains(normalized) else {
            throw ShoalError(.fileInvalidTarget, "refusing to remove \(normalized): it is a system folder")
        }
        let state = PathState.read(path)
        if state.kind == .absent {
            return StepOutcome(status: .unchanged, message: "\(path) is absent")
        }
        guard state.kind == expect || state.kind == .symlink else {
            throw ShoalError(.fileInvalidTarget, "\(path) is a \(state.kind.rawValue), not a \(expect.rawValue); use the \(state.kind == .directory ? "directory" : "file") step to remove it")
        }
        var diff = "--- \(path)\n+++ /dev/null\n"
        if state.kind == .file, let text = FileManager.default.contents(atPath: path).flatMap({ String(data: $0, encoding: .utf8) }), text.utf8.count < 1 << 20 {
            diff = UnifiedDiff.make(old: text, new: "", oldLabel: path, newLabel: "/dev/null")
        }
        guard applying else {
            return StepOutcome(status: .changed, message: "would remove \(path)", diff: diff)
        }
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw ShoalError(.fileWriteFailed, "cannot remove \(path): \(error.localizedDescription)")
        }
        return StepOutcome(status: .changed, message: "removed \(path)", diff: diff)
    }
}
