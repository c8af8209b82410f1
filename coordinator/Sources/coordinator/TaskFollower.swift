import Foundation
import ShoalClient
import ShoalCoordinator
import ShoalCore

/// Polls a rollout until it ends. On a terminal it redraws one progress line; otherwise it
/// prints a plain line whenever the counts change, so logs stay readable.
struct TaskFollower {
    let client: APIClient
    let live: Bool

    func follow(taskID: String, limit: Duration) async throws -> TaskView {
        let deadline = ContinuousClock.now + limit
        var lastLine = ""
        while true {
            let view = try await client.get("/v1/tasks/\(taskID)", as: TaskView.self)
            if live {
                let line = TaskFollower.progressLine(view)
                if line != lastLine {
                    if Terminal.isInteractive {
                        FileHandle.standardError.write(Data("\r\u{1B}[2K\(line)".utf8))
                    } else {
                        FileHandle.standardError.write(Data("\(line)\n".utf8))
                    }
                    lastLine = line
                }
            }
            if view.isFinished || ContinuousClock.now >= deadline {
                if live, Terminal.isInteractive { FileHandle.standardError.write(Data("\n".utf8)) }
                return view
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    /// `[#########-----------] 9/20 done  ok 8  failed 1  active 4  pending 7`
    static func progressLine(_ view: TaskView) -> String {
        let finished = view.nodes.filter(\.status.isFinal).count
        let width = 24
        let filled = view.total == 0 ? width : finished * width / view.total
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let ok = view.counts["succeeded"] ?? 0
        let failed = view.nodes.filter(\.status.isFailure).count
        let active = view.nodes.filter(\.status.isActive).count
        let pending = view.counts["pending"] ?? 0
        return "[\(bar)] \(finished)/\(view.total) done  ok \(ok)  failed \(failed)  active \(active)  pending \(pending)  (\(view.status.rawValue))"
    }
}

enum TaskTable {
    static func render(_ view: TaskView) -> String {
        let rows = view.nodes.map { node in
            [node.hostname, node.nodeID, node.status.rawValue, node.exitCode.map(String.init) ?? "-",
             node.errorCode?.rawValue ?? "", node.firstLine ?? node.message ?? ""]
        }
        let counts = view.counts.map { "\($0.value) \($0.key)" }.sorted().joined(separator: ", ")
        var text = TablePrinter.render(header: ["NODE", "ID", "STATUS", "EXIT", "CODE", "OUTPUT"], rows: rows)
        text += "\ntask \(view.id)\(view.checkMode ? " (check mode: nothing was changed)" : ""): \(view.status.rawValue) (\(counts))"
        for group in view.checkGroups {
            let indented = TerminalText.escapedKeepingLines(group.report).split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
            text += "\n  \(group.count) node\(group.count == 1 ? "" : "s") (\(TerminalText.escaped(group.nodes.prefix(5).joined(separator: ", ")))\(group.count > 5 ? ", …" : "")):\n\(indented)"
        }
        if let reason = view.statusReason { text += "\n  \(TerminalText.escaped(reason))" }
        return text
    }
}

/// Whether a person is at the other end, and asking them.
enum Terminal {
    static var isInteractive: Bool { isatty(STDIN_FILENO) == 1 && isatty(STDERR_FILENO) == 1 }

    static func note(_ text: String) {
        FileHandle.standardError.write(Data("\(text)\n".utf8))
    }

    static func confirm(_ prompt: String) -> Bool {
        FileHandle.standardError.write(Data(prompt.utf8))
        guard let answer = readLine() else { return false }
        return ["y", "yes"].contains(answer.lowercased().trimmingCharacters(in: .whitespaces))
    }
}
