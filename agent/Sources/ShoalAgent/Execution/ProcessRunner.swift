import Foundation
import ShoalCore
import Subprocess
import Synchronization

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Runs one program in a session of its own, output to files on disk, with a timeout that
/// stops the whole process group: SIGTERM, a grace period, then SIGKILL.
///
/// swift-subprocess has no timeout of its own, and cancelling its task would tear down only
/// the direct child unless told otherwise, so the watchdog here signals the group (`-pgid`)
/// itself, and cancellation is given a teardown that targets the group.
public struct ProcessRunner: Sendable {
    public struct Request: Sendable {
        public var executable: String
        public var arguments: [String]
        public var environment: [String: String]
        public var workingDirectory: String?
        public var timeout: Duration?
        /// Output goes to `outputPrefix.stdout` / `.stderr`; the whole of it stays on disk.
        public var outputPrefix: String
        public var killGrace: Duration = .seconds(3)

        public init(executable: String, arguments: [String], environment: [String: String] = [:], workingDirectory: String? = nil, timeout: Duration? = nil, outputPrefix: String) {
            self.executable = executable
            self.arguments = arguments
            self.environment = environment
            self.workingDirectory = workingDirectory
            self.timeout = timeout
            self.outputPrefix = outputPrefix
        }
    }

    public struct Outcome: Sendable {
        public var exitCode: Int32?
        public var signal: Int32?
        public var timedOut: Bool
        public var stdout: CapturedOutput
        public var stderr: CapturedOutput
        public var duration: Duration
    }

    public init() {}

    public func run(_ request: Request) async throws -> Outcome {
        let stdoutPath = request.outputPrefix + ".stdout"
        let stderrPath = request.outputPrefix + ".stderr"
        let out = try FileDescriptor.open(FilePath(stdoutPath), .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite])
        let err = try FileDescriptor.open(FilePath(stderrPath), .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite])
        let options: PlatformOptions = {
            var options = PlatformOptions()
            options.createSession = true
            // On task cancellation (operator cancel): SIGTERM the whole group, then SIGKILL it.
            options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: request.killGrace)]
            return options
        }()
        var environment = ProcessInfo.processInfo.environment
        environment.merge(request.environment) { $1 }
        let rawEnvironment = environment.map { Array("\($0.key)=\($0.value)\0".utf8) }

        let watch = Watch()
        let clock = ContinuousClock()
        let start = clock.now
        let grace = request.killGrace
        let status: TerminationStatus = try await withThrowingTaskGroup(of: TerminationStatus?.self) { group in
            group.addTask {
                let result = try await Subprocess.run(
                    // A bare program name is looked up on PATH, as a shell would.
                    request.executable.contains("/") ? .path(FilePath(request.executable)) : .name(request.executable),
                    arguments: Arguments(request.arguments),
                    environment: .custom(rawEnvironment),
                    workingDirectory: request.workingDirectory.map { FilePath($0) },
                    platformOptions: options,
                    input: .none,
                    output: .fileDescriptor(out, closeAfterSpawningProcess: true),
                    error: .fileDescriptor(err, closeAfterSpawningProcess: true)
                ) { execution in
                    watch.processGroup.withLock { $0 = execution.processIdentifier.value }
                }
                return result.terminationStatus
            }
            if let timeout = request.timeout {
                group.addTask {
                    try await Task.sleep(for: timeout)
                    guard let pgid = watch.processGroup.withLock({ $0 }) else { return nil }
                    watch.timedOut.withLock { $0 = true }
                    kill(-pgid, SIGTERM)
                    try? await Task.sleep(for: grace)
                    kill(-pgid, SIGKILL)
                    return nil
                }
            }
            while let next = try await group.next() {
                if let status = next {
                    group.cancelAll()
                    return status
                }
            }
            throw ShoalError(.internalError, "process monitor ended without a status")
        }
        let duration = clock.now - start
        var outcome = Outcome(
            exitCode: nil, signal: nil, timedOut: watch.timedOut.withLock { $0 },
            stdout: OutputCapture.read(path: stdoutPath), stderr: OutputCapture.read(path: stderrPath), duration: duration
        )
        switch status {
        case .exited(let code): outcome.exitCode = code
        case .signaled(let signal): outcome.signal = signal
        }
        return outcome
    }
}

/// What the watchdog and the launcher share: the process group to signal and whether it fired.
private final class Watch: Sendable {
    let processGroup = Mutex<pid_t?>(nil)
    let timedOut = Mutex(false)
}

/// Reads the head and tail of an output file without loading the middle.
public enum OutputCapture {
    public static func read(path: String) -> CapturedOutput {
        guard let handle = FileHandle(forReadingAtPath: path) else { return .empty }
        defer { try? handle.close() }
        let total = Int((try? handle.seekToEnd()) ?? 0)
        try? handle.seek(toOffset: 0)
        let headLimit = CapturedOutput.headLimit
        let tailLimit = CapturedOutput.tailLimit
        if total <= headLimit + tailLimit {
            let data = (try? handle.readToEnd()) ?? Data()
            return CapturedOutput(head: String(decoding: data, as: UTF8.self), tail: "", totalBytes: total)
        }
        let head = (try? handle.read(upToCount: headLimit)) ?? Data()
        try? handle.seek(toOffset: UInt64(total - tailLimit))
        let tail = (try? handle.readToEnd()) ?? Data()
        return CapturedOutput(head: String(decoding: head, as: UTF8.self), tail: String(decoding: tail, as: UTF8.self), totalBytes: total)
    }
}
