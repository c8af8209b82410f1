import Foundation
import Logging
import ServiceLifecycle
import ShoalCore
import Synchronization

/// Starts scheduled rollouts when they come due. Never two runs of one schedule at once:
/// while the previous rollout is unfinished a due run is recorded as `skipped`; and each due
/// time is claimed in the store first, so however many coordinators serve the fleet, one
/// runs it (at most once: a coordinator that dies between its claim and the task loses that
/// run, it never doubles it). A coordinator
/// that was down runs a missed schedule once when it is back, not once per missed time.
///
/// It sleeps until the next schedule is due, or until one is added or removed
/// (`schedulesChanged`), at most `idleLimit`: cron times are wall-clock times and the sleep
/// is on the monotonic clock, so a clock that was set meanwhile is caught within that.
public final class ScheduleRunner: Service, Sendable {
    let fleet: Fleet
    let engine: RolloutEngine
    let logger: Logger
    /// Unreadable schedules already logged, so a broken row is reported once, not every second.
    private let reportedBroken = Mutex<Set<String>>([])
    private let changed = Wakeup()
    let idleLimit: Duration

    public init(fleet: Fleet, engine: RolloutEngine, logger: Logger, idleLimit: Duration = .seconds(60)) {
        self.fleet = fleet
        self.engine = engine
        self.logger = logger
        self.idleLimit = idleLimit
    }

    /// A schedule was added or removed: look again now.
    public func schedulesChanged() { changed.signal() }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                var delay = idleLimit
                do {
                    if let due = try await pass(now: Date()).nextDue {
                        // Just after the due time, so the pass finds it due.
                        let seconds = max(0, due.timeIntervalSinceNow) + 0.01
                        delay = min(delay, .milliseconds(Int64(seconds * 1000)))
                    }
                } catch {
                    logger.error("schedule pass failed", metadata: ["error": "\(error)"])
                    delay = .seconds(1)
                }
                try await changed.wait(upTo: delay)
            }
        }
    }

    /// Starts every schedule due at `now`; returns the runs it recorded.
    @discardableResult
    func tick(now: Date) async throws -> [ScheduleRunRecord] {
        try await pass(now: now).runs
    }

    /// Starts every schedule due at `now`; returns the runs it recorded and when the next
    /// schedule is due (nil: none is).
    func pass(now: Date) async throws -> (runs: [ScheduleRunRecord], nextDue: Date?) {
        var recorded: [ScheduleRunRecord] = []
        let stored = try await fleet.store.schedules()
        reportBroken(stored.broken)
        var nextDue = stored.readable.filter { $0.nextRunAt > now }.map(\.nextRunAt).min()
        for schedule in stored.readable where schedule.nextRunAt <= now {
            let next = (try? CronSchedule(parsing: schedule.cron).nextRun(after: now)) ?? .distantFuture
            nextDue = min(nextDue ?? next, next)
            // The run is claimed before anything starts: of several coordinators on one store,
            // one moves the schedule on and runs it, the others see it moved and leave it.
            guard try await fleet.store.claimScheduleRun(name: schedule.name, slot: schedule.nextRunAt, next: next) else { continue }
            var run = ScheduleRunRecord(scheduleName: schedule.name, at: now, outcome: "started", taskID: nil, detail: "")
            if let lastTaskID = schedule.lastTaskID, let last = try await fleet.store.task(id: lastTaskID), !last.status.isFinal {
                run.outcome = "skipped"
                run.detail = "the previous run \(lastTaskID) is still \(last.status.rawValue)"
            } else {
                let standing = ScheduleStanding.check(schedule, fleet: fleet, now: now)
                if let accepted = standing.accepted {
                    do {
                        // Each run is its own rollout; agents run the signed task once per cron tick.
                        let slot = schedule.nextRunAt
                        let taskID = accepted.statement.taskID + "-" + Self.slotSuffix(slot)
                        let view = try await TaskPlanner(fleet: fleet).create(
                            accepted, taskID: taskID, scheduledAt: slot, by: PeerIdentity(role: .operator, name: "schedule:\(schedule.name)")
                        )
                        run.taskID = view.id
                        run.detail = "task \(view.id) on \(view.total) node(s), signed by \(accepted.grant.name)"
                        engine.nudge()
                    } catch let error as ShoalError {
                        run.outcome = "failed"
                        run.detail = "\(error.message) [\(error.code.rawValue)]"
                    }
                } else {
                    run.outcome = "stopped"
                    run.detail = standing.stoppedReason ?? "stopped"
                }
            }
            try await fleet.store.recordScheduleRun(run, nextRunAt: next, startedTaskID: run.taskID)
            logger.info("schedule came due", metadata: ["schedule": "\(schedule.name)", "outcome": "\(run.outcome)", "detail": "\(run.detail)"])
            recorded.append(run)
        }
        return (recorded, nextDue)
    }

    /// Logs each unreadable schedule once; it is skipped (the others run) and shows as broken
    /// in `schedule list` until it is removed.
    private func reportBroken(_ broken: [BrokenScheduleView]) {
        let fresh = reportedBroken.withLock { reported in
            let names = Set(broken.map(\.name))
            reported.formIntersection(names)
            let fresh = broken.filter { !reported.contains($0.name) }
            reported.formUnion(names)
            return fresh
        }
        for schedule in fresh {
            logger.error("schedule cannot be read; skipped until removed ('coordinator schedule remove \(schedule.name)')", metadata: [
                "schedule": "\(schedule.name)", "problem": "\(schedule.problem)",
            ])
        }
    }

    /// `20261130T101500Z` for a slot: makes each run's task id unique and readable.
    static func slotSuffix(_ slot: Date) -> String {
        Timestamp.format(slot).filter { $0.isNumber || $0 == "T" }.prefix(15) + "Z"
    }
}
