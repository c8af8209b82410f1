import Foundation
import ShoalCore

/// Runs the programs `docker_engine` needs (dpkg-query, systemctl, apt-get, usermod...)
/// through `ProcessRunner`, each with its output kept under the step's output prefix.
struct DockerEngineCommands: Sendable {
    struct Result: Sendable {
        /// False when the program could not be started at all (not installed).
        var launched: Bool
        var exitCode: Int32?
        var stdout: String
        var stderr: String
        var firstLine: String? { stdout.split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) } }
        var succeeded: Bool { launched && exitCode == 0 }
        /// The end of stderr (or stdout), for an error message.
        var complaint: String {
            let text = stderr.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? stdout : stderr
            return String(text.trimmingCharacters(in: .whitespacesAndNewlines).suffix(600))
        }
    }

    var outputPrefix: String

    func run(_ program: String, _ arguments: [String], label: String, environment: [String: String] = [:], timeout: Duration = .seconds(120)) async -> Result {
        let request = ProcessRunner.Request(
            executable: program, arguments: arguments, environment: environment, timeout: timeout,
            outputPrefix: "\(outputPrefix).\(label)"
        )
        guard let outcome = try? await ProcessRunner().run(request) else {
            return Result(launched: false, exitCode: nil, stdout: "", stderr: "\(program) could not be started")
        }
        return Result(launched: true, exitCode: outcome.timedOut ? nil : outcome.exitCode, stdout: outcome.stdout.text, stderr: outcome.stderr.text)
    }

    /// Runs a command that must succeed; a failure becomes `docker.engine_failed` saying what ran.
    @discardableResult
    func require(_ program: String, _ arguments: [String], label: String, environment: [String: String] = [:], timeout: Duration = .seconds(120)) async throws -> Result {
        let result = await run(program, arguments, label: label, environment: environment, timeout: timeout)
        guard result.succeeded else {
            let status = result.launched ? (result.exitCode.map { "exited with status \($0)" } ?? "timed out") : "could not be started"
            throw ShoalError(.dockerEngineFailed, "`\(([program] + arguments).joined(separator: " "))` \(status): \(result.complaint)")
        }
        return result
    }
}
