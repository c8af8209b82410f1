import Foundation

/// Runs a program to completion without blocking a Swift concurrency thread: output goes to
/// temporary files (so neither stream can fill a pipe and stall the child) and the exit is
/// awaited through Process's termination handler. `directory` is the child's working
/// directory (default: this process's).
enum TestbedProcess {
    static func run(
        _ executable: String, _ arguments: [String], stdin: Data? = nil, timeout: Duration? = nil, directory: URL? = nil
    ) async throws -> TestbedResult {
        let files = FileManager.default
        let scratch = files.temporaryDirectory.appendingPathComponent("shoal-testbed-\(UUID().uuidString)")
        try files.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? files.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout")
        let errURL = scratch.appendingPathComponent("stderr")
        let inURL = scratch.appendingPathComponent("stdin")
        files.createFile(atPath: outURL.path, contents: nil)
        files.createFile(atPath: errURL.path, contents: nil)
        files.createFile(atPath: inURL.path, contents: stdin ?? Data())

        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        let inHandle = try FileHandle(forReadingFrom: inURL)
        defer {
            try? outHandle.close()
            try? errHandle.close()
            try? inHandle.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = inHandle

        var killer: Task<Void, Never>?
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { finished in continuation.resume(returning: finished.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: TestbedError("could not start \(executable): \(error)"))
                return
            }
            guard let timeout else { return }
            let pid = process.processIdentifier
            killer = Task.detached {
                // Cancelled once the process exits, so a reused pid is never hit.
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                kill(pid, SIGKILL)
            }
        }
        killer?.cancel()
        // Keep the Process alive until it has been reaped: ARC may otherwise release it right
        // after run(), and then its termination handler never fires.
        withExtendedLifetime(process) {}
        return TestbedResult(
            status: status,
            stdout: String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self),
            stderr: String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
        )
    }
}
