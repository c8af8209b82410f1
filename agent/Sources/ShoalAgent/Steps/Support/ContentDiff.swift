import Foundation
import ShoalCore

/// How a step reports a change of file content, in check mode and apply alike (the report is
/// stored on the coordinator and shown to every viewer): a unified diff for text, sizes and
/// hashes for binary content — and sizes and SHA-256 only, never the content, when the file
/// is not for everyone's eyes. That is when the step is marked `sensitive: true`, or the file
/// on disk or the file wanted lacks the world-read bit (o+r): a 0600 key, a 0640 secret.
enum ContentDiff {
    /// Whether content must be hidden. Modes that are nil (no file there, mode not managed)
    /// do not count.
    static func hides(sensitive: Bool, modes: [UInt32?]) -> Bool {
        sensitive || modes.contains { mode in mode.map { $0 & 0o004 == 0 } ?? false }
    }

    /// The change from `old` to `new` at `path`; `creating` labels the old side /dev/null,
    /// `removing` the new side.
    static func describe(old: Data, new: Data, path: String, creating: Bool = false, removing: Bool = false, hidden: Bool) -> String {
        let oldLabel = creating ? "/dev/null" : path
        let newLabel = removing ? "/dev/null" : path
        if hidden {
            let before = creating ? "absent" : "\(old.count) bytes (sha256 \(old.sha256Hex))"
            let after = removing ? "removed" : "\(new.count) bytes (sha256 \(new.sha256Hex))"
            return "--- \(oldLabel)\n+++ \(newLabel)\n# content hidden (not world-readable, or the step is sensitive): \(before) -> \(after)\n"
        }
        if let oldText = String(data: old, encoding: .utf8), let newText = String(data: new, encoding: .utf8),
           !oldText.contains("\0"), !newText.contains("\0"), old.count + new.count <= 1 << 20 {
            return UnifiedDiff.make(old: oldText, new: newText, oldLabel: oldLabel, newLabel: newLabel)
        }
        return "binary \(path): \(old.count) bytes (sha256 \(old.sha256Hex.prefix(12))) -> \(new.count) bytes (sha256 \(new.sha256Hex.prefix(12)))\n"
    }
}
