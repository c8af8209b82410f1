import Foundation
import Logging
import ShoalCore

/// Verifies and runs one delivered bundle, and always leaves exactly one result in the spool
/// for it: the step results, or the reason it was refused.
public struct BundleExecutor: Sendable {
    public var state: AgentStateDirectory
    public var spool: ResultSpool
    public var nodeID: String
    /// The trust document, labels and started-task ledger both layers are checked against.
    public var trust: TrustState
    /// What this node claims about itself (agent config labels), for `claimed.*` selector terms.
    public var claimedLabels: [String: String]
    public var logger: Logger
    public var cancellations: BundleCancellations
    /// Asked right before the first step; false means the operator cancelled meanwhile.
    public var startGate: @Sendable (String) async -> Bool
    /// The node's facts when a bundle starts, for `when` conditions and templates.
    public var facts: @Sendable () async -> NodeFacts?
    /// Told when a bundle has run: its steps may have changed what facts report.
    public var factsChanged: @Sendable () -> Void
    /// The node's latest metrics sample, for `gpu.health` in a task's selector.
    public var metrics: @Sendable () async -> NodeMetrics?

    public init(
        state: AgentStateDirectory, spool: ResultSpool, nodeID: String, trust: TrustState, claimedLabels: [String: String] = [:], logger: Logger,
        cancellations: BundleCancellations = BundleCancellations(), startGate: @escaping @Sendable (String) async -> Bool = { _ in true },
        facts: @escaping @Sendable () async -> NodeFacts? = { await FactsCollector().collectIncludingGPU() },
        factsChanged: @escaping @Sendable () -> Void = {},
        metrics: @escaping @Sendable () async -> NodeMetrics? = { nil }
    ) {
        self.factsChanged = factsChanged
        self.metrics = metrics
        self.facts = facts
        self.state = state
        self.spool = spool
        self.nodeID = nodeID
        self.trust = trust
        self.claimedLabels = claimedLabels
        self.logger = logger
        self.cancellations = cancellations
        self.startGate = startGate
    }

    public typealias StepsOutcome = StepSequenceRunner.Outcome

    @discardableResult
    public func handle(_ delivery: BundlePollResponse.Delivery) async throws -> BundleResult {
        let startedAt = Timestamp.now()
        let verified: BundleVerifier.Verified
        // Read once: the selector check and the templates see the same facts.
        let facts = await self.facts()
        do {
            let verifier = try await trust.verifier(nodeID: nodeID, claimedLabels: claimedLabels, facts: facts, metrics: await metrics())
            let startedKeys = await trust.startedKeys(now: startedAt)
            verified = try verifier.verify(delivery.envelope, highWaterMark: try state.highWaterMark(), started: { startedKeys.contains($0) }, now: startedAt)
        } catch let error as ShoalError where error.code.rawValue.hasPrefix("bundle.") || error.code.rawValue.hasPrefix("trust.") || error.code == .storage {
            // An unreadable high-water mark cannot rule out a replay: refuse, and say why.
            return try refuse(delivery, error: error, at: startedAt)
        }
        let payload = verified.bundle
        // The high-water mark and the started-task ledger are durable before anything runs:
        // a replay of this bundle, or of its signed task in another bundle, is refused even
        // after a crash.
        try state.storeHighWaterMark(payload.sequence)
        try await trust.recordStarted(verified.ledgerKey, until: verified.ledgerExpiresAt)
        logger.info("running bundle", metadata: ["bundle": "\(payload.bundleID)", "sequence": "\(payload.sequence)", "steps": "\(payload.steps.count)", "signer": "\(verified.signer)"])

        guard await startGate(delivery.deliveryID) else {
            let result = BundleResult(
                deliveryID: delivery.deliveryID, bundleID: payload.bundleID, taskID: payload.taskID, nodeID: payload.nodeID,
                sequence: payload.sequence, status: .cancelled, errorCode: .taskCancelled,
                message: "the task was cancelled before this node started it", startedAt: startedAt, finishedAt: Timestamp.now()
            )
            try spool.add(result)
            return result
        }
        let executor = self
        let run = Task { await executor.runSteps(payload, deliveryID: delivery.deliveryID, startedAt: startedAt, facts: facts) }
        cancellations.register(delivery.deliveryID, run)
        // The agent stopping (SIGTERM) cancels this task too: stop the steps rather than hold
        // shutdown for as long as the bundle may run.
        var outcome = await withTaskCancellationHandler { await run.value } onCancel: { run.cancel() }
        if outcome.status == .cancelled, !cancellations.wasRequested(delivery.deliveryID) {
            outcome.status = .interrupted
            outcome.errorCode = .stepInterrupted
            outcome.message = "the agent was stopped while the bundle ran; the running step's process group was stopped and nothing is re-run"
        }
        cancellations.finish(delivery.deliveryID)
        factsChanged()
        let bundleStatus = outcome.status
        let result = BundleResult(
            deliveryID: delivery.deliveryID, bundleID: payload.bundleID, taskID: payload.taskID, nodeID: payload.nodeID,
            sequence: payload.sequence, status: bundleStatus, errorCode: outcome.errorCode, message: outcome.message,
            startedAt: startedAt, finishedAt: Timestamp.now(), steps: outcome.steps
        )
        try spool.add(result)
        RunningMarker.remove(in: state, deliveryID: delivery.deliveryID)
        logger.info("bundle finished", metadata: ["bundle": "\(payload.bundleID)", "status": "\(bundleStatus.rawValue)"])
        return result
    }

    /// Runs the steps (see `StepSequenceRunner`). A marker on disk records progress before
    /// each step so a crash is reported as interrupted, never silently re-run.
    func runSteps(_ payload: BundlePayload, deliveryID: String, startedAt: Date, facts: NodeFacts?) async -> StepsOutcome {
        let outputDirectory = state.outputDirectory + "/" + ResultSpool.safeName(payload.bundleID)
        try? SecureFile.makeDirectory(outputDirectory)
        var files: [String: Data] = [:]
        for file in payload.files {
            files[file.sha256] = Data(base64Encoded: file.content)
        }
        var marker = RunningMarker(
            deliveryID: deliveryID, bundleID: payload.bundleID, taskID: payload.taskID, nodeID: payload.nodeID,
            sequence: payload.sequence, startedAt: startedAt, currentStep: 0, currentStepName: "", currentStepKind: "", completed: []
        )
        let template = TemplateContext(nodeID: payload.nodeID, vars: payload.vars ?? [:], labels: payload.labels ?? [:], facts: facts)
        let runner = StepSequenceRunner(
            steps: payload.steps, handlers: payload.handlers ?? [], files: files, checkMode: payload.checkMode, template: template,
            bundleID: payload.bundleID, outputDirectory: outputDirectory, timeoutSeconds: payload.timeoutSeconds,
            rendersTemplates: payload.vars != nil,
            // Every URL: the ufw guard keeps each one the agent may fail over to reachable.
            coordinators: ((try? state.loadIdentity())?.coordinatorURLs ?? []).compactMap { CoordinatorAddress(url: $0) }
        )
        let state = self.state
        return await runner.run { index, spec, completed in
            marker.currentStep = index
            marker.currentStepName = spec.displayName
            marker.currentStepKind = spec.kind
            marker.completed = completed
            try marker.save(in: state)
        }
    }

    private func refuse(_ delivery: BundlePollResponse.Delivery, error: ShoalError, at date: Date) throws -> BundleResult {
        // Handed out again by a coordinator that never heard it start: the real result (or the
        // interrupted report) is already in the spool; a replay refusal must not replace it.
        if error.code == .bundleReplayed, let earlier = spool.result(deliveryID: delivery.deliveryID) {
            logger.info("bundle handed out again; its result is already waiting for upload", metadata: ["delivery": "\(delivery.deliveryID)"])
            return earlier
        }
        // What the unverified payload claims is reported for the operator's benefit only.
        let claimed = (try? delivery.envelope.payloadBytes()).flatMap { try? WireCoding.decode(DeliveryPayload.self, from: $0) }
        logger.warning("refused bundle", metadata: ["delivery": "\(delivery.deliveryID)", "code": "\(error.code.rawValue)", "reason": "\(error.message)"])
        let result = BundleResult(
            deliveryID: delivery.deliveryID, bundleID: claimed?.bundleID ?? "unknown", taskID: claimed?.taskID, nodeID: nodeID,
            sequence: claimed?.sequence, status: .refused, errorCode: error.code, message: error.message, startedAt: date, finishedAt: Timestamp.now()
        )
        try spool.add(result)
        return result
    }
}
