import Foundation
import ShoalCore

/// `command`: runs a program (argv) or a `/bin/sh` script. Imperative, so idempotence comes
/// from its guards: `creates` (skip if the path exists) and `unless` (skip if that shell
/// command succeeds). A skipped command is `unchanged`; one that ran and exited 0 is `changed`.
public struct CommandStep: Step {
    public static let kind = "command"
    public static let defaultTimeout: Duration = .seconds(3600)

    let params: CommandStepParams
    let name: String

    public init(spec: StepSpec) throws {
        let params = try spec.decodeParams(CommandStepParams.self)
        switch (params.argv, params.script) {
        case (let argv?, nil) where !argv.isEmpty: break
        case (nil, let script?) where !script.isEmpty: break
        default:
            throw ShoalError(.stepInvalid, "command step '\(spec.displayName)' needs exactly one of a non-empty 'argv' or 'script'")
        }
        if let timeout = params.timeoutSeconds, timeout <= 0 {
            throw ShoalError(.stepInvalid, "command step '\(spec.displayName)' has timeoutSeconds \(timeout); it must be positive")
        }
        self.params = params
        self.name = spec.displayName
    }

    public func apply(in context: StepContext) async -> StepOutcome {
        if let reason = await skipReason(context) {
            return StepOutcome(status: .unchanged, message: reason)
        }
        var timeout = params.timeoutSeconds.map { Duration.seconds($0) } ?? Self.defaultTimeout
        if let remaining = context.remaining { timeout = min(timeout, remaining) }
        let request = ProcessRunner.Request(
            executable: executable, arguments: arguments, environment: environment(context),
            workingDirectory: params.workingDirectory, timeout: timeout, outputPrefix: context.outputPrefix
        )
        let outcome: ProcessRunner.Outcome
        do {
            outcome = try await ProcessRunner().run(request)
        } catch where Task.isCancelled {
            return StepOutcome(status: .interrupted, errorCode: .taskCancelled, message: "cancelled: the process group was sent SIGTERM, then SIGKILL")
        } catch {
            return .failed(ShoalError(.stepLaunchFailed, "could not start '\(executable)': \(error)"))
        }
        if Task.isCancelled {
            return StepOutcome(status: .interrupted, exitCode: outcome.exitCode, stdout: outcome.stdout, stderr: outcome.stderr, errorCode: .taskCancelled, message: "cancelled: the process group was stopped")
        }
        var result = StepOutcome(status: .changed, exitCode: outcome.exitCode, stdout: outcome.stdout, stderr: outcome.stderr)
        if outcome.timedOut {
            result.status = .timedOut
            result.errorCode = .stepTimedOut
            result.message = "stopped after \(timeout.formattedSeconds): the whole process group was sent SIGTERM, then SIGKILL"
        } else if let signal = outcome.signal {
            result.status = .failed
            result.errorCode = .stepFailed
            result.message = "killed by signal \(signal)"
        } else if outcome.exitCode != 0 {
            result.status = .failed
            result.errorCode = .stepFailed
            result.message = "exited with status \(outcome.exitCode ?? -1)"
        }
        return result
    }

    public func check(in context: StepContext) async -> StepOutcome {
        if let reason = await skipReason(context) {
            return StepOutcome(status: .unchanged, message: reason)
        }
        return StepOutcome(status: .unknown, message: "would run \(summary); a command cannot be simulated")
    }

    var executable: String { params.argv?.first ?? "/bin/sh" }

    var arguments: [String] {
        if let argv = params.argv { return Array(argv.dropFirst()) }
        return ["-c", params.script ?? ""]
    }

    var summary: String {
        params.argv.map { $0.joined(separator: " ") } ?? "script (\(params.script?.count ?? 0) bytes)"
    }

    /// Commands (and guards) can tell which node and bundle they run for without asking the network.
    private func environment(_ context: StepContext) -> [String: String] {
        var environment = ["SHOAL_NODE_ID": context.nodeID, "SHOAL_BUNDLE_ID": context.bundleID]
        environment.merge(params.env ?? [:]) { $1 }
        return environment
    }

    /// `creates` and `unless` guards; nil when the command should run.
    private func skipReason(_ context: StepContext) async -> String? {
        if let creates = params.creates, FileManager.default.fileExists(atPath: creates) {
            return "skipped: \(creates) exists"
        }
        if let unless = params.unless {
            let request = ProcessRunner.Request(
                executable: "/bin/sh", arguments: ["-c", unless], environment: environment(context),
                workingDirectory: params.workingDirectory, timeout: .seconds(60), outputPrefix: context.outputPrefix + ".unless"
            )
            if let outcome = try? await ProcessRunner().run(request), outcome.exitCode == 0 {
                return "skipped: 'unless' command succeeded"
            }
        }
        return nil
    }
}

extension Duration {
    var formattedSeconds: String {
        let seconds = Double(components.seconds) + Double(components.attoseconds) / 1e18
        return seconds == seconds.rounded() ? "\(Int(seconds))s" : String(format: "%.1fs", seconds)
    }
}
