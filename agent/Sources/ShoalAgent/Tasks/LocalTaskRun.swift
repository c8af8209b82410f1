import Foundation
import ShoalCore

/// `agent apply`: a task file run on this machine with no coordinator — for authoring tasks
/// and for tests. The same compiler and runner as a delivered bundle, so what passes here
/// behaves the same when the coordinator sends it.
public struct LocalTaskRun: Sendable {
    public var path: String
    public var checkMode: Bool
    public var overrides: [String: JSONValue]
    public var labels: [String: String]
    public var timeoutSeconds: Int

    public init(path: String, checkMode: Bool, overrides: [String: JSONValue] = [:], labels: [String: String] = [:], timeoutSeconds: Int = 3600) {
        self.path = path
        self.checkMode = checkMode
        self.overrides = overrides
        self.labels = labels
        self.timeoutSeconds = timeoutSeconds
    }

    /// What `agent apply --json` prints.
    public struct Report: Codable, Sendable {
        public var task: String
        public var checkMode: Bool
        public var status: BundleStatus
        public var errorCode: ShoalError.Code?
        public var message: String?
        public var steps: [StepResult]
    }

    public func run(onStep: (StepResult) -> Void = { _ in }) async throws -> Report {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ShoalError(.taskFileMissing, "cannot read task file \(path)")
        }
        let document = try TaskDocument(yaml: text, source: path)
        let base = ((path as NSString).deletingLastPathComponent as String).isEmpty ? "." : (path as NSString).deletingLastPathComponent
        let task = try TaskCompiler.compile(document, baseDirectory: base, overrides: overrides)
        let facts = await FactsCollector().collectIncludingGPU()
        let output = NSTemporaryDirectory() + "shoal-apply-\(RandomID.make(bytes: 6))"
        try? FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: output) }
        let runner = StepSequenceRunner(
            steps: task.steps, handlers: task.handlers, files: task.fileContents, checkMode: checkMode,
            template: TemplateContext(nodeID: "local", vars: task.vars, labels: labels, facts: facts),
            bundleID: "local", outputDirectory: output, timeoutSeconds: task.timeoutSeconds ?? timeoutSeconds
        )
        let outcome = await runner.run(afterStep: onStep)
        return Report(task: task.name, checkMode: checkMode, status: outcome.status, errorCode: outcome.errorCode, message: outcome.message, steps: outcome.steps)
    }
}
