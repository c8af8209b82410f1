/// What one enroll run changed on a host, so a failure can put the host back as it found
/// it: each entry's `undo` runs in reverse order on failure, each `commit` on success.
struct InstallJournal: Sendable {
    struct Entry: Sendable {
        var undo: String
        var commit: String?
        /// systemctl undos run after every file is back, in the order recorded, so the agent
        /// that runs at the end is the old one from the old files, not the new one.
        var controlsService = false
    }

    private(set) var entries: [Entry] = []
    /// A node this run enrolled, to revoke if the run fails afterwards.
    var enrolledNodeID: String?

    var isEmpty: Bool { entries.isEmpty && enrolledNodeID == nil }

    mutating func record(undo: String, commit: String? = nil) {
        entries.append(Entry(undo: undo, commit: commit))
    }

    /// A systemctl command that puts the service back (daemon-reload, enable, start/stop).
    mutating func recordService(undo: String) {
        entries.append(Entry(undo: undo, commit: nil, controlsService: true))
    }

    /// One shell script undoing everything recorded: the agent stopped first (a unit with
    /// `Restart=always` and `StateDirectory=` would otherwise restart and recreate its state
    /// directory while the files are being removed), files newest first, then the service
    /// commands oldest first; each step runs even if an earlier one fails.
    var undoScript: String {
        let files = entries.filter { !$0.controlsService }.reversed().map(\.undo)
        let services = entries.filter(\.controlsService).map(\.undo)
        let stop = services.isEmpty ? [] : ["systemctl stop \(AgentInstallLayout.unitName)"]
        let reload = services.isEmpty ? [] : ["systemctl daemon-reload"]
        return (stop + files + reload + services).map { $0 + " || true" }.joined(separator: "\n")
    }

    var commitScript: String {
        entries.compactMap(\.commit).joined(separator: "\n")
    }

    /// A replaced file is kept here until the run succeeds.
    static func backupPath(_ path: String) -> String { path + ".shoal-enroll-backup" }
}
