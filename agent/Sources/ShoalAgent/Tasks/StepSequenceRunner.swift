import Foundation
import ShoalCore

/// Runs a task's steps in order on this node — the one loop behind both a delivered bundle
/// and `agent apply`: renders parameters, evaluates `when`, stops at the first failure, the
/// deadline or cancellation, then runs the handlers that changed steps notified.
public struct StepSequenceRunner: Sendable {
    public var steps: [StepSpec]
    public var handlers: [StepSpec]
    public var files: [String: Data]
    public var checkMode: Bool
    public var template: TemplateContext
    public var bundleID: String
    public var outputDirectory: String
    public var timeoutSeconds: Int
    /// Task files render `{{...}}` in string parameters; a plain `--command` is sent verbatim
    /// (its braces belong to the shell or to tools like `docker inspect -f`).
    public var rendersTemplates: Bool
    /// Where the agent reaches its coordinator, handed to each step.
    public var coordinators: [CoordinatorAddress]

    public init(
        steps: [StepSpec], handlers: [StepSpec] = [], files: [String: Data] = [:], checkMode: Bool, template: TemplateContext,
        bundleID: String, outputDirectory: String, timeoutSeconds: Int, rendersTemplates: Bool = true, coordinators: [CoordinatorAddress] = []
    ) {
        self.rendersTemplates = rendersTemplates
        self.coordinators = coordinators
        self.steps = steps
        self.handlers = handlers
        self.files = files
        self.checkMode = checkMode
        self.template = template
        self.bundleID = bundleID
        self.outputDirectory = outputDirectory
        self.timeoutSeconds = timeoutSeconds
    }

    /// What running the steps came to.
    public struct Outcome: Sendable {
        public var status: BundleStatus
        public var errorCode: ShoalError.Code?
        public var message: String?
        public var steps: [StepResult]
    }

    /// - Parameter beforeStep: called with the index, spec and results so far before each step
    ///   runs (the bundle executor records progress there); a throw stops the run.
    public func run(
        beforeStep: (Int, StepSpec, [StepResult]) throws -> Void = { _, _, _ in },
        afterStep: (StepResult) -> Void = { _ in }
    ) async -> Outcome {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(timeoutSeconds)
        var results: [StepResult] = []
        var notified: Set<String> = []
        let sequence = steps.map { ($0, false) } + handlers.map { ($0, true) }
        for (index, entry) in sequence.enumerated() {
            let (spec, isHandler) = entry
            if isHandler, !notified.contains(spec.name ?? "") { continue }
            do {
                try beforeStep(index, spec, results)
            } catch {
                return Outcome(status: .failed, errorCode: .storage, message: "cannot record progress before step \(index + 1): \(error)", steps: results)
            }
            let stepStart = clock.now
            var outcome = await runOne(spec, index: index, remaining: deadline - clock.now)
            if checkMode, outcome.status == .failed, results.contains(where: { [.changed, .unknown].contains($0.status) }) {
                // Nothing earlier was really applied, so this step saw the node as it is, not as
                // it would be: its failure may be what an earlier change fixes. Say so; go on.
                outcome.status = .unknown
                outcome.message = "cannot tell before earlier steps are applied; on the node as it is now: \(outcome.message ?? "it fails")"
            }
            let elapsed = clock.now - stepStart
            let result = StepResult(
                index: index, name: spec.displayName, kind: spec.kind, status: outcome.status, exitCode: outcome.exitCode,
                durationMilliseconds: Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000),
                stdout: outcome.stdout, stderr: outcome.stderr, errorCode: outcome.errorCode, message: outcome.message, diff: outcome.diff
            )
            results.append(result)
            afterStep(result)
            if Task.isCancelled {
                return Outcome(status: .cancelled, errorCode: .taskCancelled, message: "cancelled by the operator during step \(index + 1) (\(spec.displayName)); its process group was stopped", steps: results)
            }
            if [.failed, .timedOut, .interrupted].contains(outcome.status) {
                let label = isHandler ? "handler" : "step \(index + 1)"
                return Outcome(
                    status: outcome.status == .timedOut ? .timedOut : .failed, errorCode: outcome.errorCode,
                    message: "\(label) (\(spec.displayName)) \(outcome.status.rawValue): \(outcome.message ?? "")", steps: results
                )
            }
            if outcome.status == .changed { notified.formUnion(spec.notify ?? []) }
        }
        return Outcome(status: .succeeded, steps: results)
    }

    func runOne(_ spec: StepSpec, index: Int, remaining: Duration) async -> StepOutcome {
        guard remaining > .zero else {
            return StepOutcome(status: .timedOut, errorCode: .stepTimedOut, message: "the \(timeoutSeconds)s timeout ran out before this step")
        }
        do {
            if let condition = spec.when {
                let selector = try NodeSelector(parsing: condition)
                if !selector.matches(template.value(for:)) {
                    return StepOutcome(status: .skipped, message: "skipped: 'when: \(condition)' does not hold on this node")
                }
            }
            var rendered = spec
            // A template step's own template is rendered by the step, once.
            let keep: Set<String> = spec.kind == TemplateStep.kind ? ["template"] : []
            if rendersTemplates {
                rendered.params = try TemplateRenderer.renderParams(spec.params, context: template, what: "step '\(spec.displayName)'", keeping: keep)
            }
            let step = try StepRegistry.make(rendered)
            let context = StepContext(
                nodeID: template.nodeID, bundleID: bundleID, stepIndex: index, files: files,
                outputPrefix: outputDirectory + "/step-\(index)", remaining: remaining, template: template,
                sensitive: spec.sensitive == true, coordinators: coordinators
            )
            return checkMode ? await step.check(in: context) : await step.apply(in: context)
        } catch let error as ShoalError {
            return .failed(error)
        } catch {
            return .failed(ShoalError(.stepFailed, "\(error)"))
        }
    }
}
