/// What one enroll run changed on a host, so a failure can put the host back as it found
/// it: each entry's `undo` runs in reverse order on failure, each `commit` on success.
struct InstallJournal: Sendable {
    struct Entry: Sendable {
        var undo: String
        var commit: String?
    }

    private(set) var entries: [Entry] = []
    /// A node this run enrolled, to revoke if the run fails afterwards.
    var enrolledNodeID: String?

    var isEmpty: Bool { entries.isEmpty && enrolledNodeID == nil }

    mutating func record(undo: String, commit: String? = nil) {
        entries.append(Entry(undo: undo, commit: commit))
    }

    /// One shell script undoing everything recorded, newest first; each step runs even if an
    /// earlier one fails.
    var undoScript: String {
        entries.reversed().map { $0.undo + " || true" }.joined(separator: "\n")
    }

    var commitScript: String {
        entries.compactMap(\.commit).joined(separator: "\n")
    }

    /// A replaced file is kept here until the run succeeds.
    static func backupPath(_ path: String) -> String { path + ".shoal-enroll-backup" }
}
