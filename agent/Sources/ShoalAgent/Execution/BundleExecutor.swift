import Foundation
import Logging
import ShoalCore

/// Verifies and runs one delivered bundle, and always leaves exactly one result in the spool
/// for it: the step results, or the reason it was refused.
public struct BundleExecutor: Sendable {
    public var state: AgentStateDirectory
    public var spool: ResultSpool
    public var verifier: BundleVerifier
    public var logger: Logger

    public init(state: AgentStateDirectory, spool: ResultSpool, verifier: BundleVerifier, logger: Logger) {
        self.state = state
        self.spool = spool
        self.verifier = verifier
        self.logger = logger
    }

    @discardableResult
    public func handle(_ delivery: BundlePollResponse.Delivery) async throws -> BundleResult {
        let startedAt = Date()
        let payload: BundlePayload
        do {
            payload = try verifier.verify(delivery.envelope, highWaterMark: try state.highWaterMark(), now: startedAt)
        } catch let error as ShoalError where error.code.rawValue.hasPrefix("bundle.") {
            return try refuse(delivery, error: error, at: startedAt)
        }
        // The high-water mark is durable before anything runs: a replay of this bundle,
        // even after a crash, is refused.
        try state.storeHighWaterMark(payload.sequence)
        logger.info("running bundle", metadata: ["bundle": "\(payload.bundleID)", "sequence": "\(payload.sequence)", "steps": "\(payload.steps.count)"])

        let outputDirectory = state.outputDirectory + "/" + ResultSpool.safeName(payload.bundleID)
        try SecureFile.makeDirectory(outputDirectory)
        var files: [String: Data] = [:]
        for file in payload.files {
            files[file.sha256] = Data(base64Encoded: file.content)
        }
        var marker = RunningMarker(
            deliveryID: delivery.deliveryID, bundleID: payload.bundleID, taskID: payload.taskID, nodeID: payload.nodeID,
            sequence: payload.sequence, startedAt: startedAt, currentStep: 0, currentStepName: "", currentStepKind: "", completed: []
        )
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(payload.timeoutSeconds)
        var bundleStatus = BundleStatus.succeeded
        var failure: (ShoalError.Code?, String?) = (nil, nil)
        for (index, spec) in payload.steps.enumerated() {
            marker.currentStep = index
            marker.currentStepName = spec.displayName
            marker.currentStepKind = spec.kind
            try marker.save(in: state)
            let stepStart = clock.now
            let outcome: StepOutcome
            let remaining = deadline - clock.now
            if remaining <= .zero {
                outcome = StepOutcome(status: .timedOut, errorCode: .stepTimedOut, message: "the bundle's \(payload.timeoutSeconds)s timeout ran out before this step")
            } else {
                do {
                    let step = try StepRegistry.make(spec)
                    let context = StepContext(
                        nodeID: payload.nodeID, bundleID: payload.bundleID, stepIndex: index, files: files,
                        outputPrefix: outputDirectory + "/step-\(index)", remaining: remaining
                    )
                    outcome = await step.apply(in: context)
                } catch let error as ShoalError {
                    outcome = .failed(error)
                }
            }
            let elapsed = clock.now - stepStart
            let result = StepResult(
                index: index, name: spec.displayName, kind: spec.kind, status: outcome.status, exitCode: outcome.exitCode,
                durationMilliseconds: Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000),
                stdout: outcome.stdout, stderr: outcome.stderr, errorCode: outcome.errorCode, message: outcome.message
            )
            marker.completed.append(result)
            if outcome.status == .failed || outcome.status == .timedOut || outcome.status == .interrupted {
                bundleStatus = outcome.status == .timedOut ? .timedOut : .failed
                failure = (outcome.errorCode, "step \(index + 1) (\(spec.displayName)) \(outcome.status.rawValue): \(outcome.message ?? "")")
                break
            }
        }
        let result = BundleResult(
            deliveryID: delivery.deliveryID, bundleID: payload.bundleID, taskID: payload.taskID, nodeID: payload.nodeID,
            sequence: payload.sequence, status: bundleStatus, errorCode: failure.0, message: failure.1,
            startedAt: startedAt, finishedAt: Date(), steps: marker.completed
        )
        try spool.add(result)
        RunningMarker.remove(in: state, deliveryID: delivery.deliveryID)
        logger.info("bundle finished", metadata: ["bundle": "\(payload.bundleID)", "status": "\(bundleStatus.rawValue)"])
        return result
    }

    private func refuse(_ delivery: BundlePollResponse.Delivery, error: ShoalError, at date: Date) throws -> BundleResult {
        // What the unverified payload claims is reported for the operator's benefit only.
        let claimed = (try? delivery.envelope.payloadBytes()).flatMap { try? WireCoding.decode(BundlePayload.self, from: $0) }
        logger.warning("refused bundle", metadata: ["delivery": "\(delivery.deliveryID)", "code": "\(error.code.rawValue)", "reason": "\(error.message)"])
        let result = BundleResult(
            deliveryID: delivery.deliveryID, bundleID: claimed?.bundleID ?? "unknown", taskID: claimed?.taskID, nodeID: verifier.nodeID,
            sequence: claimed?.sequence, status: .refused, errorCode: error.code, message: error.message, startedAt: date, finishedAt: Date()
        )
        try spool.add(result)
        return result
    }
}
