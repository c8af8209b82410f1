import Foundation
import ShoalCore

/// Runs one nvidia-smi executable through `ProcessRunner` (own session, timeout that stops
/// the whole group) and hands back all it printed.
public struct NvidiaSMI: Sendable {
    public struct Output: Sendable {
        public var exitCode: Int32?
        public var stdout: String
        public var stderr: String
        public var timedOut: Bool

        public var succeeded: Bool { exitCode == 0 && !timedOut }
        /// stdout then stderr: nvidia-smi prints most of its errors on stdout.
        public var text: String { stderr.isEmpty ? stdout : stdout + "\n" + stderr }

        /// The first lines of what it said, to show an operator why it failed.
        public var problem: String {
            if timedOut { return "nvidia-smi did not answer in time" }
            let said = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let summary = said.prefix(2).joined(separator: " ")
            let status = exitCode.map { "exit status \($0)" } ?? "killed by a signal"
            return summary.isEmpty ? "nvidia-smi failed (\(status))" : "\(String(summary.prefix(300))) (nvidia-smi \(status))"
        }
    }

    /// A `--query-gpu` answer: rows keyed by field, and the fields the driver refused.
    public struct QueryResult: Sendable {
        public var rows: [[String: String]]?
        public var unsupported: Set<String>
        /// Set when there are no rows, or when some GPUs could not be reached.
        public var failure: Output?
        /// PCI bus ids of GPUs nvidia-smi could not reach while it answered for the others.
        public var unreachable: [String] = []
    }

    public var path: String
    public var timeout: Duration

    public init(path: String, timeout: Duration = .seconds(10)) {
        self.path = path
        self.timeout = timeout
    }

    /// Runs nvidia-smi; nil when it could not be started at all.
    public func run(_ arguments: [String]) async -> Output? {
        await Self.capture(path, arguments, timeout: timeout)
    }

    /// Runs a read-only tool (nvidia-smi, dmesg) and keeps all it printed; nil when it could
    /// not be started at all.
    public static func capture(_ executable: String, _ arguments: [String], timeout: Duration) async -> Output? {
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-nvidia-smi-\(UUID().uuidString)").path
        defer {
            try? FileManager.default.removeItem(atPath: prefix + ".stdout")
            try? FileManager.default.removeItem(atPath: prefix + ".stderr")
        }
        // A fixed locale and no colour codes: the parsers read the words NVIDIA prints in English.
        let request = ProcessRunner.Request(executable: executable, arguments: arguments, environment: ["LC_ALL": "C"], timeout: timeout, outputPrefix: prefix)
        guard let outcome = try? await ProcessRunner().run(request) else { return nil }
        // ProcessRunner keeps only head and tail in memory; the parsers need everything.
        let stdout = (try? String(contentsOfFile: prefix + ".stdout", encoding: .utf8)) ?? outcome.stdout.text
        let stderr = (try? String(contentsOfFile: prefix + ".stderr", encoding: .utf8)) ?? outcome.stderr.text
        return Output(exitCode: outcome.exitCode, stdout: stdout, stderr: stderr, timedOut: outcome.timedOut)
    }

    /// `--query-gpu=<fields> --format=csv,noheader,nounits`. A field this driver does not know
    /// is dropped and the query repeated, skipping `known` unsupported ones from the start.
    public func query(_ fields: [String], knownUnsupported: Set<String> = []) async -> QueryResult {
        var unsupported = knownUnsupported.subtracting(NvidiaQueryFields.essential)
        // Each refusal names one field; a handful of retries covers drivers years old.
        for _ in 0..<8 {
            let asked = fields.filter { !unsupported.contains($0) }
            guard let output = await run(["--query-gpu=" + asked.joined(separator: ","), "--format=csv,noheader,nounits"]) else {
                return QueryResult(rows: nil, unsupported: unsupported, failure: Output(exitCode: 127, stdout: "could not start \(path)", stderr: "", timedOut: false))
            }
            if output.succeeded {
                return QueryResult(rows: NvidiaSMIParser.queryRows(output.stdout, fields: asked), unsupported: unsupported, failure: nil)
            }
            // A lost GPU fails the whole command, yet the others' rows are printed before it.
            let unreachable = NvidiaSMIParser.unreachableGPUs(output.text)
            if !unreachable.isEmpty {
                return QueryResult(rows: NvidiaSMIParser.queryRows(output.stdout, fields: asked), unsupported: unsupported, failure: output, unreachable: unreachable)
            }
            let refused = Set(NvidiaSMIParser.invalidFields(output.text)).intersection(asked).subtracting(NvidiaQueryFields.essential)
            guard !refused.isEmpty else { return QueryResult(rows: nil, unsupported: unsupported, failure: output) }
            unsupported.formUnion(refused)
        }
        return QueryResult(rows: nil, unsupported: unsupported, failure: Output(exitCode: 2, stdout: "nvidia-smi refused too many query fields", stderr: "", timedOut: false))
    }
}
