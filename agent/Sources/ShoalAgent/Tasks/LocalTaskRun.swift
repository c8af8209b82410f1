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
    /// Never carried, whatever a `source:` says: the agent's state (node key) and a fleet's data directory.
    public var protectedPaths: [String]

    public init(
        path: String, checkMode: Bool, overrides: [String: JSONValue] = [:], labels: [String: String] = [:],
        timeoutSeconds: Int = 3600, protectedPaths: [String] = LocalTaskRun.defaultProtectedPaths()
    ) {
        self.path = path
        self.checkMode = checkMode
        self.overrides = overrides
        self.labels = labels
        self.timeoutSeconds = timeoutSeconds
        self.protectedPaths = protectedPaths
    }

    /// The agent's state directory (default, and the one `/etc/shoal/agent.yaml` names), its
    /// config (it may hold a join token), and `$SHOAL_DATA_DIR` when set.
    public static func defaultProtectedPaths() -> [String] {
        var paths = [AgentConfig.defaultStateDir, AgentConfig.defaultPath]
        if let config = try? AgentConfig.load(path: AgentConfig.defaultPath) { paths.append(config.stateDir) }
        if let dataDir = ProcessInfo.processInfo.environment["SHOAL_DATA_DIR"], !dataDir.isEmpty { paths.append(dataDir) }
        return paths
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
        let task = try TaskCompiler.compile(document, baseDirectory: base, overrides: overrides, protectedPaths: protectedPaths, fileName: path)
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
