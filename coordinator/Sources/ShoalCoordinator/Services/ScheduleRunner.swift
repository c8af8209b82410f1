import Foundation
import Logging
import ServiceLifecycle
import ShoalCore

/// Starts scheduled rollouts when they come due. Never two runs of one schedule at once:
/// while the previous rollout is unfinished a due run is recorded as `skipped`. A coordinator
/// that was down runs a missed schedule once when it is back, not once per missed time.
public final class ScheduleRunner: Service, Sendable {
    let fleet: Fleet
    let engine: RolloutEngine
    let logger: Logger

    public init(fleet: Fleet, engine: RolloutEngine, logger: Logger) {
        self.fleet = fleet
        self.engine = engine
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                do {
                    try await tick(now: Date())
                } catch {
                    logger.error("schedule pass failed", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Starts every schedule due at `now`; returns the runs it recorded.
    @discardableResult
    func tick(now: Date) async throws -> [ScheduleRunRecord] {
        var recorded: [ScheduleRunRecord] = []
        for schedule in try await fleet.store.schedules() where schedule.nextRunAt <= now {
            let next = (try? CronSchedule(parsing: schedule.cron).next(after: now)) ?? .distantFuture
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
        return recorded
    }

    /// `20261130T101500Z` for a slot: makes each run's task id unique and readable.
    static func slotSuffix(_ slot: Date) -> String {
        Timestamp.format(slot).filter { $0.isNumber || $0 == "T" }.prefix(15) + "Z"
    }
}
