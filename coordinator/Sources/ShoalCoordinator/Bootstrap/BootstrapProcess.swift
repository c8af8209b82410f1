import Foundation
import ShoalCore

/// What a program run by the bootstrapper produced.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var timedOut: Bool

    public var succeeded: Bool { status == 0 && !timedOut }
}

/// Runs a program to completion without blocking a concurrency thread. Output goes to
/// temporary files, not pipes: an `ssh` ControlMaster that forks into the background keeps
/// inherited descriptors open, so waiting for pipe EOF would hang; we wait for the exit instead.
enum BootstrapProcess {
    static func run(
        _ executable: String, _ arguments: [String], stdin: Data? = nil, stdinFile: String? = nil, timeout: Duration
    ) async throws -> ProcessOutput {
        let files = FileManager.default
        let scratch = files.temporaryDirectory.appendingPathComponent("shoal-bootstrap-\(UUID().uuidString)")
        // 0700 folder, 0600 files: stdin can carry an agent config with a live join token.
        try files.createDirectory(at: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? files.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout")
        let errURL = scratch.appendingPathComponent("stderr")
        let inURL = stdinFile.map { URL(fileURLWithPath: $0) } ?? scratch.appendingPathComponent("stdin")
        let privateFile: [FileAttributeKey: Any] = [.posixPermissions: 0o600]
        files.createFile(atPath: outURL.path, contents: nil, attributes: privateFile)
        files.createFile(atPath: errURL.path, contents: nil, attributes: privateFile)
        if stdinFile == nil { files.createFile(atPath: inURL.path, contents: stdin ?? Data(), attributes: privateFile) }

        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        let inHandle: FileHandle
        do {
            inHandle = try FileHandle(forReadingFrom: inURL)
        } catch {
            throw ShoalError(.invalidArgument, "cannot read \(inURL.path): \(error)")
        }
        defer {
            try? outHandle.close()
            try? errHandle.close()
            try? inHandle.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = inHandle

        let killed = KillFlag()
        var killer: Task<Void, Never>?
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { finished in continuation.resume(returning: finished.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: ShoalError(.bootstrapLaunch, "could not start \(executable): \(error)"))
                return
            }
            let pid = process.processIdentifier
            killer = Task.detached {
                // Cancelled once the process exits, so a reused pid is never hit.
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                killed.set()
                kill(pid, SIGKILL)
            }
        }
        killer?.cancel()
        // Keep the Process alive until it has been reaped, or its handler may never fire.
        withExtendedLifetime(process) {}
        return ProcessOutput(
            status: status,
            stdout: String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self),
            stderr: String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self),
            timedOut: killed.isSet
        )
    }
}

/// Set by the timeout task, read after the exit: whether we killed the process.
final class KillFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
