import Foundation
import Logging
import ServiceLifecycle
import ShoalCore

/// Drives every unfinished rollout forward from what the store says, so a coordinator
/// restart simply picks up where it was: nothing here lives only in memory. Each pass
/// expires and retries stuck deliveries, enforces the error budget and canary, starts
/// pending nodes up to the concurrency limit, and ends the rollout when nothing is left.
public final class RolloutEngine: Service, Sendable {
    let fleet: Fleet
    let notifier: WorkNotifier
    let logger: Logger
    let period: Duration
    /// Time a node gets beyond the task timeout to report its result.
    let resultGrace: TimeInterval = 30
    private let wakeup = Wakeup()

    public init(fleet: Fleet, notifier: WorkNotifier, logger: Logger, period: Duration = .milliseconds(500)) {
        self.fleet = fleet
        self.notifier = notifier
        self.logger = logger
        self.period = period
    }

    /// Runs a pass soon (a task was created, a result arrived).
    public func nudge() { wakeup.signal() }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                do {
                    for task in try await fleet.store.unfinishedTasks() {
                        try await advance(task)
                    }
                } catch {
                    logger.error("rollout pass failed", metadata: ["error": "\(error)"])
                }
                try await wakeup.wait(upTo: period)
            }
        }
    }

    func advance(_ task: TaskRecord) async throws {
        let store = fleet.store
        let now = Date()
        guard let request = task.request else {
            _ = try await store.setRolloutStatus(taskID: task.id, to: .failed, reason: "the stored request cannot be read", now: now)
            return
        }
        if task.status == .pending {
            _ = try await store.setRolloutStatus(taskID: task.id, to: .running, reason: nil, now: now)
        }
        let policy = request.policy
        let nodes = Dictionary(try await store.nodes().map { ($0.id, $0) }, uniquingKeysWith: { $1 })

        // 1. Stuck deliveries: node down before pickup (retryable), no result in time (not).
        for delivery in try await store.deliveries(taskID: task.id) {
            switch delivery.status {
            case .queued where nodes[delivery.nodeID]?.status != .ready:
                try await retryOrFail(delivery, policy: policy, now: now, reason: "node \(delivery.nodeID) is down and did not pick up the bundle")
            case .delivered, .running:
                let since = delivery.startedAt ?? delivery.deliveredAt ?? now
                if now.timeIntervalSince(since) > TimeInterval(request.timeoutSeconds) + resultGrace {
                    _ = try await store.transition(
                        deliveryID: delivery.id, from: [.delivered, .running], to: .timedOut, now: now,
                        errorCode: ShoalError.Code.nodeTimeout.rawValue,
                        message: "no result within the \(request.timeoutSeconds)s timeout plus \(Int(resultGrace))s grace", notBefore: nil, countAttempt: false
                    )
                }
            case .retryWait where (delivery.notBefore ?? now) <= now:
                _ = try await store.transition(deliveryID: delivery.id, from: [.retryWait], to: .pending, now: now, errorCode: nil, message: nil, notBefore: nil, countAttempt: false)
            default:
                break
            }
        }

        // 2. Error budget and canary.
        var deliveries = try await store.deliveries(taskID: task.id)
        guard var current = try await store.task(id: task.id) else { return }
        let failures = deliveries.filter(\.status.isFailure)
        let allowed = policy.maxErrors.resolve(total: current.total)
        // Halting stops nodes that have not started; with none left, the rollout simply fails.
        let haltable = deliveries.contains { $0.status == .pending || $0.status == .retryWait }
        if !current.haltRequested, !current.cancelRequested, haltable {
            if let failedCanary = deliveries.first(where: { $0.isCanary && ($0.status.isFailure || $0.status == .cancelled) }) {
                try await store.requestHalt(taskID: task.id, reason: "canary node \(failedCanary.nodeID) ended \(failedCanary.status.rawValue); the rest was not started", code: .canaryFailed, now: now)
            } else if failures.count > allowed {
                try await store.requestHalt(taskID: task.id, reason: "\(failures.count) node(s) failed, more than the \(policy.maxErrors) allowed; no new node was started", code: .rolloutHalted, now: now)
            }
            current = try await store.task(id: task.id) ?? current
        }

        // 3. Start pending nodes while there are slots.
        if !current.haltRequested, !current.cancelRequested {
            deliveries = try await store.deliveries(taskID: task.id)
            let canaryPhase = deliveries.contains { $0.isCanary && !$0.status.isFinal }
            let limit = policy.maxConcurrency.map { max(1, $0.resolve(total: current.total)) } ?? current.total
            var slots = limit - deliveries.filter(\.status.isActive).count
            var started: [String] = []
            for delivery in deliveries where delivery.status == .pending && slots > 0 && (!canaryPhase || delivery.isCanary) {
                guard nodes[delivery.nodeID]?.status == .ready else {
                    try await retryOrFail(delivery, policy: policy, now: now, reason: "node \(delivery.nodeID) is \(nodes[delivery.nodeID]?.status.rawValue ?? "gone") when its turn came")
                    continue
                }
                if try await queue(delivery, task: current, request: request, now: now) != nil {
                    started.append(delivery.nodeID)
                    slots -= 1
                }
            }
            if !started.isEmpty { await notifier.notify(nodeIDs: started) }
        }

        // 4. Finished when nothing is pending or active.
        deliveries = try await store.deliveries(taskID: task.id)
        if deliveries.allSatisfy(\.status.isFinal) {
            let final: RolloutStatus
            if current.cancelRequested {
                final = .cancelled
            } else if current.haltRequested {
                final = .halted
            } else {
                final = deliveries.allSatisfy { $0.status == .succeeded } ? .succeeded : .failed
            }
            if try await store.setRolloutStatus(taskID: task.id, to: final, reason: nil, now: now) {
                logger.info("rollout finished", metadata: ["task": "\(task.id)", "status": "\(final.rawValue)"])
            }
        }
    }

    /// Retryable outcome: wait and try again while retries last, else fail with the reason.
    /// A try counts whether it was queued (and never picked up) or found the node down first.
    private func retryOrFail(_ delivery: DeliveryRecord, policy: RolloutPolicy, now: Date, reason: String) async throws {
        let neverQueued = delivery.status == .pending
        let tries = delivery.attempt + (neverQueued ? 1 : 0)
        if tries <= policy.retries {
            let delay = policy.retryDelay(attempt: tries)
            _ = try await fleet.store.transition(
                deliveryID: delivery.id, from: [delivery.status], to: .retryWait, now: now, errorCode: ShoalError.Code.nodeUnreachable.rawValue,
                message: "\(reason); retry \(tries) of \(policy.retries) in \(delay)s", notBefore: now.addingTimeInterval(TimeInterval(delay)),
                countAttempt: neverQueued
            )
        } else {
            _ = try await fleet.store.transition(
                deliveryID: delivery.id, from: [delivery.status], to: .failed, now: now, errorCode: ShoalError.Code.nodeUnreachable.rawValue,
                message: policy.retries > 0 ? "\(reason); no retries left" : reason, notBefore: nil, countAttempt: neverQueued
            )
        }
    }

    /// Signs the node's delivery of the operator-signed task with the delivery key, as the
    /// delivery is queued (so sequence numbers are issued in queue order). A task without a
    /// statement (made before operator signing) cannot be delivered: agents would refuse it.
    private func queue(_ delivery: DeliveryRecord, task: TaskRecord, request: TaskCreateRequest, now: Date) async throws -> DeliveryRecord? {
        guard let statement = task.statement else {
            _ = try await fleet.store.transition(
                deliveryID: delivery.id, from: [.pending], to: .failed, now: now, errorCode: ShoalError.Code.operatorUntrusted.rawValue,
                message: "task \(task.id) carries no operator signature (made before operator signing); sign and run it again", notBefore: nil, countAttempt: false
            )
            return nil
        }
        let key = try fleet.deliveryKey()
        let expiry = fleet.config.seconds(\.bundleExpiry)
        return try await fleet.store.queue(deliveryID: delivery.id, now: now) { delivery, sequence in
            let payload = DeliveryPayload(
                bundleID: delivery.id, taskID: delivery.taskID, nodeID: delivery.nodeID, sequence: sequence, issuedAt: now,
                expiresAt: now.addingTimeInterval(TimeInterval(request.expiresInSeconds ?? expiry)),
                statement: statement, files: request.files ?? [], scheduledAt: task.scheduledAt
            )
            return try payload.signed(with: key).jsonText()
        }
    }
}
