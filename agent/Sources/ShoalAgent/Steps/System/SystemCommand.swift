import Foundation
import ShoalCore

/// Runs one system tool (useradd, ufw, sshd, systemctl …) for a step and turns a non-zero exit
/// into a `ShoalError` carrying the tool's own complaint, so the operator sees why.
struct SystemCommand: Sendable {
    /// Where this step's tool output goes; each call gets its own pair of files next to it.
    var outputPrefix: String
    var timeout: Duration = .seconds(120)

    struct Result: Sendable {
        var exitCode: Int32?
        var stdout: String
        var stderr: String
        var succeeded: Bool { exitCode == 0 }
        /// The tool's complaint in one line, for messages.
        var complaint: String {
            let text = (stderr.isEmpty ? stdout : stderr)
                .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("WARN: /") }
                .joined(separator: "; ")
            return text.isEmpty ? "exit status \(exitCode.map(String.init) ?? "unknown")" : String(text.prefix(400))
        }
    }

    /// Runs `argv`; never throws for a non-zero exit (callers decide), only when it cannot start.
    func run(_ argv: [String], label: String) async throws -> Result {
        guard let executable = argv.first else {
            throw ShoalError(.internalError, "empty command for \(label)")
        }
        let request = ProcessRunner.Request(
            executable: executable, arguments: Array(argv.dropFirst()),
            environment: ["LC_ALL": "C"], timeout: timeout, outputPrefix: outputPrefix + "." + label
        )
        let outcome: ProcessRunner.Outcome
        do {
            outcome = try await ProcessRunner().run(request)
        } catch {
            throw ShoalError(.stepLaunchFailed, "could not start '\(executable)': \(error)")
        }
        if outcome.timedOut {
            throw ShoalError(.stepTimedOut, "'\(argv.joined(separator: " "))' did not finish within \(timeout.formattedSeconds) and was stopped")
        }
        return Result(exitCode: outcome.exitCode, stdout: outcome.stdout.head + outcome.stdout.tail, stderr: outcome.stderr.head + outcome.stderr.tail)
    }

    /// Runs `argv` and throws `code` with the tool's complaint when it does not exit 0.
    @discardableResult
    func require(_ argv: [String], label: String, code: ShoalError.Code, doing what: String) async throws -> Result {
        let result = try await run(argv, label: label)
        guard result.succeeded else {
            throw ShoalError(code, "\(what) failed: '\(argv.joined(separator: " "))': \(result.complaint)")
        }
        return result
    }

    /// The first of `candidates` that is an executable file, for tools found in sbin.
    static func locate(_ name: String, in directories: [String] = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]) -> String? {
        if name.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        return directories.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
