import ArgumentParser
import Foundation
import ShoalAgent
import ShoalCommandLine
import ShoalCore

extension AgentCommand {
    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a task file on this machine, with no coordinator.",
            discussion: """
                Prints each step's result and, for changes, a diff. With --check nothing changes: \
                each step says what it would do ('unknown' when it cannot tell). \
                A source: file must be in the task file's folder (no absolute path, no '..' or symlink \
                out of it) unless the whole source is a --var you give. Control characters in output \
                are shown escaped; --json is exact. \
                Exit status: 0 when every step succeeded, 1 when one failed, 2 for a bad task file.
                """
        )

        @Argument(help: "Task file (YAML).") var file: String
        @Flag(help: "Check mode: report what would change, change nothing.") var check = false
        @Flag(help: "Print the report as JSON.") var json = false
        @Option(name: .customLong("var"), help: "Set a task variable: name=value (repeatable).") var vars: [String] = []
        @Option(name: .customLong("label"), help: "A label for 'when' conditions and templates: key=value (repeatable).") var labels: [String] = []

        func run() async throws {
            try await CommandLineSupport.run {
                var overrides: [String: JSONValue] = [:]
                for item in vars {
                    guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                        throw ShoalError(.invalidArgument, "--var '\(item)' must be name=value")
                    }
                    overrides[String(item[..<equals])] = .string(String(item[item.index(after: equals)...]))
                }
                let labelMap = try LabelText.parse(labels)
                let run = LocalTaskRun(path: file, checkMode: check, overrides: overrides, labels: labelMap)
                let printer = ApplyPrinter(json: json, checkMode: check)
                // A bad task file keeps its own code (task.invalid, …); each exits 2.
                let report = try await run.run(onStep: printer.step)
                try printer.finish(report)
                if report.status != .succeeded { throw ExitCode(1) }
            }
        }
    }
}

/// Prints `agent apply` results as they come (text) or once at the end (JSON).
struct ApplyPrinter: Sendable {
    var json: Bool
    var checkMode: Bool

    func step(_ result: StepResult) {
        guard !json else { return }
        let status = result.status == .changed && checkMode ? "would change" : result.status.rawValue
        // Names, messages and output can carry anything a command printed: escaped (JSON stays exact).
        var line = "[\(status)] \(result.kind): \(result.name)"
        if let message = result.message, !message.isEmpty { line += " — \(message)" }
        if let code = result.errorCode { line += " (\(code.rawValue))" }
        print(TerminalText.escaped(line))
        if let diff = result.diff, !diff.isEmpty {
            for diffLine in diff.split(separator: "\n", omittingEmptySubsequences: false).dropLast(diff.hasSuffix("\n") ? 1 : 0) {
                print("    " + TerminalText.escaped(String(diffLine)))
            }
        }
        let stderr = result.stderr.tail.isEmpty ? result.stderr.head : result.stderr.tail
        if result.status == .failed, !stderr.isEmpty {
            print("    stderr: " + stderr.split(separator: "\n").suffix(5).map { TerminalText.escaped(String($0)) }.joined(separator: "\n            "))
        }
    }

    func finish(_ report: LocalTaskRun.Report) throws {
        if json {
            print(String(decoding: try WireCoding.encode(report), as: UTF8.self))
            return
        }
        var counts: [StepStatus: Int] = [:]
        for step in report.steps { counts[step.status, default: 0] += 1 }
        let order: [StepStatus] = [.changed, .unchanged, .skipped, .unknown, .failed, .timedOut, .interrupted]
        let summary = order.compactMap { status in counts[status].map { "\($0) \(status == .changed && checkMode ? "would change" : status.rawValue)" } }
        print(TerminalText.escaped("\(report.task): \(report.status.rawValue)\(checkMode ? " (check mode, nothing changed)" : "") — \(summary.joined(separator: ", "))"))
        if let message = report.message, report.status != .succeeded { print(TerminalText.escapedKeepingLines(message)) }
    }
}
