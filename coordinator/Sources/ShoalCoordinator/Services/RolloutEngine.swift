import Foundation
import Logging
import ServiceLifecycle
import ShoalCore

/// Drives every unfinished rollout forward from what the store says, so a coordinator
/// restart simply picks up where it was: nothing here lives only in memory. Each pass
/// expires and retries stuck deliveries, enforces the error budget and canary, starts
/// pending nodes up to the concurrency limit, and ends the rollout when nothing is left.
///
/// Passes run on events, not on a clock: the store's `TaskChangeFeed` says which tasks
/// changed (a task created, a delivery started or finished), the liveness monitor says when
/// nodes went down, and each pass returns the task's next deadline (a retry's `notBefore`,
/// a result timeout), which bounds the sleep. `idleLimit` caps that sleep as a safety net
/// only: when it runs out with nothing signalled, every unfinished task gets a pass.
///
/// Several coordinators may serve one store: each rollout is driven only by the replica
/// holding its lease in the store (`RolloutLeases`), so `--max-concurrency` and the error
/// budget hold across them; a replica that dies stops renewing, and another takes its
/// rollouts over once `leaseDuration` has run out.
public final class RolloutEngine: Service, Sendable {
    let fleet: Fleet
    let notifier: WorkNotifier
    let logger: Logger
    let idleLimit: Duration
    /// Time a node gets beyond the task timeout to report its result.
    let resultGrace: TimeInterval = 30
    /// This replica in the store's leases.
    let replica: String
    let leaseDuration: TimeInterval

    public init(
        fleet: Fleet, notifier: WorkNotifier, logger: Logger, idleLimit: Duration = .seconds(30),
        replica: String? = nil, leaseDuration: TimeInterval = 60
    ) {
        self.fleet = fleet
        self.notifier = notifier
        self.logger = logger
        self.idleLimit = idleLimit
        self.replica = replica ?? ReplicaName.make(listen: fleet.config.listen)
        self.leaseDuration = leaseDuration
    }

    /// Looks at every unfinished task soon (for changes the store cannot pin to one task).
    public func nudge() { fleet.store.taskChanges.fleetChanged() }

    public func run() async throws {
        let feed = fleet.store.taskChanges
        try? await cancelWhenGracefulShutdown { [self] in
            // Each unfinished task's next deadline; a task with none waits for a change.
            var deadlines: [String: Date] = [:]
            var everything = true
            var leases = RolloutLeases(holder: replica, duration: leaseDuration)
            // Rollouts gained by a renewal in the middle of a pass: they get the next pass.
            var gainedMidPass: Set<String> = []
            while !Task.isCancelled {
                let work = feed.takeEngineWork()
                let now = Date()
                do {
                    var next: [String: Date] = [:]
                    let (driven, claimed) = try await leasedTasks(&leases, now: now)
                    let gained = claimed.union(gainedMidPass)
                    gainedMidPass = []
                    for task in driven {
                        if let due = leases.renewalDue, Date() >= due {
                            // A long pass: renew before going on, and drop what was lost meanwhile.
                            gainedMidPass.formUnion(try await claim(&leases, now: Date()).gained)
                            guard leases.mine.contains(task.id) else { continue }
                        }
                        let due = deadlines[task.id].map { $0 <= now } ?? false
                        if everything || work.everything || work.taskIDs.contains(task.id) || due || gained.contains(task.id) {
                            next[task.id] = try await advance(task)
                        } else {
                            next[task.id] = deadlines[task.id]
                        }
                    }
                    deadlines = next
                    everything = false
                } catch {
                    logger.error("rollout pass failed", metadata: ["error": "\(error)"])
                    everything = true
                }
                var delay = idleLimit
                if let soonest = (Array(deadlines.values) + [leases.nextWake].compactMap { $0 }).min() {
                    // A deadline's pass runs just after it, not just before (and then again).
                    let seconds = max(0, soonest.timeIntervalSinceNow) + 0.01
                    delay = min(delay, .milliseconds(Int64(seconds * 1000)))
                }
                let signalled = try await feed.engineWakeup.wait(upTo: delay)
                if !signalled, delay == idleLimit { everything = true }
            }
        }
        // Handed back on the way out, so another replica carries on at once.
        do {
            try await fleet.store.releaseRollouts(holder: replica)
        } catch {
            logger.warning("could not release rollout leases; other replicas take them over when they run out", metadata: ["error": "\(error)"])
        }
    }

    /// The unfinished rollouts this replica drives, claiming first when `leases` says so;
    /// and those it just gained, which want a pass now.
    private func leasedTasks(_ leases: inout RolloutLeases, now: Date) async throws -> (tasks: [TaskRecord], gained: Set<String>) {
        let unfinished = try await fleet.store.unfinishedTasks()
        guard leases.needsClaim(unfinished: Set(unfinished.map(\.id)), now: now) else {
            return (unfinished.filter { leases.mine.contains($0.id) }, [])
        }
        return try await claim(&leases, now: now)
    }

    private func claim(_ leases: inout RolloutLeases, now: Date) async throws -> (tasks: [TaskRecord], gained: Set<String>) {
        let claim = try await fleet.store.claimRollouts(holder: replica, now: now, until: now.addingTimeInterval(leaseDuration))
        let heldElsewhereBefore = leases.elsewhere
        let gained = leases.record(claim, at: now)
        let takenOver = gained.intersection(heldElsewhereBefore)
        if !takenOver.isEmpty {
            logger.info("took over rollouts whose lease ran out", metadata: ["replica": "\(replica)", "tasks": "\(takenOver.sorted().joined(separator: ","))"])
        }
        return (claim.tasks, gained)
    }

    /// One pass over one task; returns when it next needs a pass if nothing changes before.
    func advance(_ task: TaskRecord) async throws -> Date? {
        let store = fleet.store
        let now = Date()
        guard let request = task.request else {
            _ = try await store.setRolloutStatus(taskID: task.id, to: .failed, reason: "the stored request cannot be read", now: now)
            return nil
        }
        if task.status == .pending {
            _ = try await store.setRolloutStatus(taskID: task.id, to: .running, reason: nil, now: now)
        }
        let policy = request.policy
        var deadline: Date?
        func due(_ date: Date) { deadline = min(deadline ?? date, date) }

        // 1. Stuck deliveries: node down before pickup (retryable), no result in time (not).
        var active = try await store.activeDeliveries(taskID: task.id)
        let queuedOn = try await nodeStatuses(active.filter { $0.status == .queued }.map(\.nodeID))
        var stillActive: [DeliveryRecord] = []
        for delivery in active {
            switch delivery.status {
            case .queued where queuedOn[delivery.nodeID] != .ready:
                if let moved = try await retryOrFail(delivery, policy: policy, now: now, reason: "node \(delivery.nodeID) is down and did not pick up the bundle"),
                   moved.status == .retryWait {
                    stillActive.append(moved)
                    if let notBefore = moved.notBefore { due(notBefore) }
                }
                continue
            case .sent, .running:
                let since = delivery.startedAt ?? delivery.sentAt ?? now
                let limit = since.addingTimeInterval(TimeInterval(request.timeoutSeconds) + resultGrace)
                if now > limit {
                    _ = try await store.transition(
                        deliveryID: delivery.id, from: [.sent, .running], to: .timedOut, now: now,
                        errorCode: ShoalError.Code.nodeTimeout.rawValue,
                        message: "no result within the \(request.timeoutSeconds)s timeout plus \(Int(resultGrace))s grace", notBefore: nil, countAttempt: false
                    )
                    continue
                }
                due(limit)
            case .retryWait where (delivery.notBefore ?? now) <= now:
                _ = try await store.transition(deliveryID: delivery.id, from: [.retryWait], to: .pending, now: now, errorCode: nil, message: nil, notBefore: nil, countAttempt: false)
                continue
            case .retryWait:
                if let notBefore = delivery.notBefore { due(notBefore) }
            default:
                break
            }
            stillActive.append(delivery)
        }
        active = stillActive

        // 2. Error budget and canary, from the task's counters (kept with each move).
        guard var current = try await store.task(id: task.id) else { return nil }
        let allowed = policy.maxErrors.resolve(total: current.total)
        // Halting stops nodes that have not started; with none left, the rollout simply fails.
        let haltable = current.pendingCount > 0 || active.contains { $0.status == .retryWait }
        if !current.haltRequested, !current.cancelRequested, haltable {
            if let failedCanary = try await store.endedBadlyCanary(taskID: task.id) {
                try await store.requestHalt(taskID: task.id, reason: "canary node \(failedCanary.nodeID) ended \(failedCanary.status.rawValue); the rest was not started", code: .canaryFailed, now: now)
            } else if current.failureCount > allowed {
                try await store.requestHalt(taskID: task.id, reason: "\(current.failureCount) node(s) failed, more than the \(policy.maxErrors) allowed; no new node was started", code: .rolloutHalted, now: now)
            }
            current = try await store.task(id: task.id) ?? current
        }

        // 3. Start pending nodes while there are slots, reading only as many as can start.
        if !current.haltRequested, !current.cancelRequested, current.pendingCount > 0 {
            let limit = policy.maxConcurrency.map { max(1, $0.resolve(total: current.total)) } ?? current.total
            _ = try await start(task: current, request: request, slots: limit - current.activeCount, canaryRunning: active.contains(where: \.isCanary), now: now)
        }

        // 4. Finished when nothing is pending or active.
        current = try await store.task(id: task.id) ?? current
        if current.pendingCount == 0, current.activeCount == 0 {
            let final: RolloutStatus
            if current.cancelRequested {
                final = .cancelled
            } else if current.haltRequested {
                final = .halted
            } else {
                final = current.succeededCount == current.total ? .succeeded : .failed
            }
            if try await store.setRolloutStatus(taskID: task.id, to: final, reason: nil, now: now) {
                logger.info("rollout finished", metadata: ["task": "\(task.id)", "status": "\(final.rawValue)"])
            }
            return nil
        }
        return deadline
    }

    /// Queues pending deliveries in rollout order into `slots`; while a canary is unfinished
    /// only canaries start (they come first in rollout order). A node that is not ready when
    /// its turn comes is retried or failed and the next one is tried.
    /// Returns the nodes whose delivery was queued (told already, page by page).
    private func start(task: TaskRecord, request: TaskCreateRequest, slots: Int, canaryRunning: Bool, now: Date) async throws -> [String] {
        var slots = slots
        var after = -1
        var started: [String] = []
        var canaryPhase = canaryRunning
        while slots > 0 {
            let page = try await fleet.store.pendingDeliveries(taskID: task.id, afterPosition: after, limit: slots)
            guard let first = page.first, let last = page.last else { return started }
            after = last.position
            if first.isCanary { canaryPhase = true }
            let statuses = try await nodeStatuses(page.map(\.nodeID))
            var ready: [DeliveryRecord] = []
            var canariesDone = false
            for delivery in page where ready.count < slots {
                if canaryPhase, !delivery.isCanary {
                    canariesDone = true
                    break
                }
                guard statuses[delivery.nodeID] == .ready else {
                    _ = try await retryOrFail(delivery, policy: request.policy, now: now, reason: "node \(delivery.nodeID) is \(statuses[delivery.nodeID]?.rawValue ?? "gone") when its turn came")
                    continue
                }
                ready.append(delivery)
            }
            // All at once: the store's group commit signs and queues them in a few
            // transactions instead of one commit each, and their nodes hear at once, page by
            // page, rather than after the whole first wave is queued.
            let queued = try await withThrowingTaskGroup(of: String?.self) { group in
                for delivery in ready {
                    // Stamped now, not at the pass's start: a slot freed by a result stored during
                    // this pass must not look as if its successor was queued before it ended.
                    group.addTask { try await self.queue(delivery, task: task, request: request, now: Date()) != nil ? delivery.nodeID : nil }
                }
                return try await group.reduce(into: [String]()) { if let node = $1 { $0.append(node) } }
            }
            if !queued.isEmpty { await notifier.notify(nodeIDs: queued) }
            started += queued
            slots -= queued.count
            if canariesDone { return started }
        }
        return started
    }

    private func nodeStatuses(_ ids: [String]) async throws -> [String: NodeRecord.Status] {
        try await fleet.store.nodeSummaries(ids: Array(Set(ids))).mapValues(\.status)
    }

    /// Retryable outcome: wait and try again while retries last, else fail with the reason.
    /// A try counts whether it was queued (and never picked up) or found the node down first.
    @discardableResult
    private func retryOrFail(_ delivery: DeliveryRecord, policy: RolloutPolicy, now: Date, reason: String) async throws -> DeliveryRecord? {
        let neverQueued = delivery.status == .pending
        let tries = delivery.attempt + (neverQueued ? 1 : 0)
        if tries <= policy.retries {
            let delay = policy.retryDelay(attempt: tries)
            return try await fleet.store.transition(
                deliveryID: delivery.id, from: [delivery.status], to: .retryWait, now: now, errorCode: ShoalError.Code.nodeUnreachable.rawValue,
                message: "\(reason); retry \(tries) of \(policy.retries) in \(delay)s", notBefore: now.addingTimeInterval(TimeInterval(delay)),
                countAttempt: neverQueued
            )
        } else {
            return try await fleet.store.transition(
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
        let queued = try await fleet.store.queue(deliveryID: delivery.id, now: now) { delivery, sequence in
            let payload = DeliveryPayload(
                bundleID: delivery.id, taskID: delivery.taskID, nodeID: delivery.nodeID, sequence: sequence, issuedAt: now,
                expiresAt: now.addingTimeInterval(TimeInterval(request.expiresInSeconds ?? expiry)),
                statement: statement, files: request.files ?? [], scheduledAt: task.scheduledAt
            )
            return try payload.signed(with: key).jsonText()
        }
        if queued != nil { fleet.keyUse.record(keyID: key.publicKey.keyID, use: .deliverySigned, at: now) }
        return queued
    }
}
