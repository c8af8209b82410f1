import Foundation
import ShoalClient
import ShoalCoordinator
import ShoalCore

/// Follows a rollout until it ends, told of each change by the coordinator's long poll
/// (`GET /v1/tasks/{id}/changes`), so `--wait` returns as soon as the last result is stored.
/// On a terminal it redraws one progress line; otherwise it prints a plain line whenever
/// the counts change, so logs stay readable.
struct TaskFollower {
    let client: APIClient
    let live: Bool
    /// A viewer may not hold long polls: it reads the task this often instead.
    static let viewerPeriod: Duration = .milliseconds(500)
    /// Pause after each answer, so changes that come in a burst are fetched together.
    static let coalesce: Duration = .milliseconds(20)
    /// The most the coordinator lets one call wait (`TaskChangeRoutes.maxWaitSeconds`).
    static let longestWait: Int64 = 60

    func follow(taskID: String, limit: Duration) async throws -> TaskView {
        let deadline = ContinuousClock.now + limit
        var lastLine = ""
        var version: Int64?
        var longPoll = true
        while true {
            let view: TaskView
            if longPoll {
                do {
                    view = try await changes(taskID: taskID, after: version, until: deadline)
                } catch let error as ShoalError where error.code == .forbidden {
                    longPoll = false
                    continue
                } catch let error as ShoalError where error.code == .rateLimited {
                    // This credential holds its most waits (other scripts): ask again shortly.
                    try await Task.sleep(for: error.retryDelay(fallback: Self.viewerPeriod))
                    continue
                }
            } else {
                view = try await client.get("/v1/tasks/\(APIPath.segment(taskID))", as: TaskView.self)
            }
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
                // The long poll answered counts only: the nodes once, now that they are needed.
                return longPoll ? try await client.get("/v1/tasks/\(APIPath.segment(taskID))", as: TaskView.self) : view
            }
            version = view.changeVersion
            if !longPoll || version == nil {
                // A coordinator without versions answers every call at once: pace it.
                try await Task.sleep(for: Self.viewerPeriod)
            } else {
                // A large rollout changes many times a second: let a burst gather into one
                // answer rather than fetch the whole task per change. Short enough that the
                // end is still seen within a few tens of milliseconds.
                try await Task.sleep(for: Self.coalesce)
            }
        }
    }

    /// The task once it changed since `after` (at once without `after`), or as it is when
    /// the wait runs out; never waits past `deadline`.
    private func changes(taskID: String, after: Int64?, until deadline: ContinuousClock.Instant) async throws -> TaskView {
        let left = (deadline - ContinuousClock.now).components.seconds
        let wait = min(Self.longestWait, max(0, left))
        // Counts only: a view of every node per change costs a rollout of 10,000 nodes a
        // minute of the coordinator's time by its end.
        var path = "/v1/tasks/\(APIPath.segment(taskID))/changes?wait=\(wait)&nodes=false"
        if let after { path += "&after=\(after)" }
        // The request outlives the wait by a margin, so a slow answer is not cut off.
        return try await client.get(path, as: TaskView.self, timeout: .seconds(wait + 15))
    }

    /// `[#########-----------] 9/20 done  ok 8  failed 1  active 4  pending 7`
    /// From the nodes when the view has them, else from the summary counts (`nodes=false`).
    static func progressLine(_ view: TaskView) -> String {
        let summary = view.nodes.isEmpty
        let pending = view.counts["pending"] ?? 0
        let active = summary ? view.counts["active"] ?? 0 : view.nodes.filter(\.status.isActive).count
        let failed = summary ? view.counts["failed"] ?? 0 : view.nodes.filter(\.status.isFailure).count
        let finished = summary ? max(0, view.total - pending - active) : view.nodes.filter(\.status.isFinal).count
        let width = 24
        let filled = view.total == 0 ? width : finished * width / view.total
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let ok = view.counts["succeeded"] ?? 0
        return "[\(bar)] \(finished)/\(view.total) done  ok \(ok)  failed \(failed)  active \(active)  pending \(pending)  (\(view.status.rawValue))"
    }
}

enum TaskTable {
    static func render(_ view: TaskView) -> String {
        let rows = view.nodes.map { node in
            [node.hostname, node.nodeID, statusText(node), node.exitCode.map(String.init) ?? "-",
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
        let unconfirmed = view.nodes.filter { $0.status == .sent }.count
        if unconfirmed > 0 {
            text += "\n  \(unconfirmed) node(s) sent but not confirmed: the bundle was handed to the node's connection and the agent has not confirmed it yet"
        }
        return text
    }

    /// `sent` says only that the bundle left: until the agent confirms it, say so.
    static func statusText(_ node: NodeTaskView) -> String {
        node.status == .sent ? "sent, unconfirmed" : node.status.rawValue
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
