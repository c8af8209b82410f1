import Foundation
import Hummingbird
import ShoalCore

/// `/v1/schedules`: recurring rollouts. Reading needs any operator role; adding and
/// removing need `operator` or `admin`, and are audited.
struct ScheduleRoutes: Sendable {
    let fleet: Fleet
    /// Told of each added or removed schedule, so it need not re-read them on a clock.
    let runner: ScheduleRunner

    func add(to router: Router<CoordinatorRequestContext>) {
        let read = router.group("/v1/schedules").add(middleware: RequireOperatorMiddleware(roles: [.admin, .operator, .viewer]))
        let write = router.group("/v1/schedules").add(middleware: RequireOperatorMiddleware(roles: [.admin, .operator]))
        let limit = fleet.config.maxBodyBytes

        write.post { request, context in
            let body = try await request.decodeJSON(ScheduleCreateRequest.self, limit: limit)
            let peer = try context.requirePeer()
            try ScheduleName.validate(body.name)
            let cron = try CronSchedule(parsing: body.cron)
            let accepted = try SignedTaskIntake(fleet: fleet).check(body.task, sender: peer)
            guard accepted.statement.schedule == TaskStatement.ScheduleGrant(name: body.name, cron: body.cron) else {
                throw ShoalError(.invalidArgument, "the task is not signed as schedule '\(body.name)' with cron '\(body.cron)'; sign it for this schedule ('coordinator schedule add' does)")
            }
            // Refuse a task that could never start now rather than at 3 a.m.: the same checks
            // as `POST /v1/tasks`, and a selector that parses.
            try TaskPlanner(fleet: fleet).validate(accepted.request)
            _ = try NodeSelector(parsing: accepted.request.selector)
            let now = Date()
            var record = ScheduleRecord(
                name: body.name, cron: cron.description, requestJSON: try accepted.request.jsonText(), createdAt: now,
                createdBy: peer.name, nextRunAt: try cron.nextRun(after: now)
            )
            record.statementJSON = try accepted.envelope.jsonText()
            try await fleet.store.insertSchedule(record, audit: .scheduleAdded(record, accepted: accepted, by: peer))
            runner.schedulesChanged()
            return try JSONResponse.make(Self.view(record, fleet: fleet), status: .created)
        }
        read.get { _, _ in
            let stored = try await fleet.store.schedules()
            return try JSONResponse.make(ScheduleListResponse(schedules: stored.readable.map { Self.view($0, fleet: fleet) }, broken: stored.broken))
        }
        read.get("{name}/runs") { _, context in
            let name = try context.parameters.require("name")
            guard let runs = try await fleet.store.scheduleRuns(name: name, limit: 100) else {
                throw ShoalError(.notFound, "no schedule named '\(name)' and no runs recorded for one; 'coordinator schedule list' shows them")
            }
            return try JSONResponse.make(ScheduleRunsResponse(runs: runs.map { ScheduleRunView(at: $0.at, outcome: $0.outcome, taskID: $0.taskID, detail: $0.detail) }))
        }
        write.delete("{name}") { _, context in
            let name = try context.parameters.require("name")
            guard try await fleet.store.deleteSchedule(name: name, audit: .scheduleRemoved(name: name, by: try context.requirePeer())) else {
                throw ShoalError(.notFound, "no schedule named '\(name)'; 'coordinator schedule list' shows them")
            }
            runner.schedulesChanged()
            return try JSONResponse.make(["removed": name])
        }
    }

    static func view(_ record: ScheduleRecord, fleet: Fleet) -> ScheduleView {
        let request = record.request
        let standing = ScheduleStanding.check(record, fleet: fleet)
        return ScheduleView(
            name: record.name, cron: record.cron, taskName: request?.name ?? "", selector: request?.selector ?? "",
            createdAt: record.createdAt, createdBy: record.createdBy, nextRunAt: record.nextRunAt,
            lastRunAt: record.lastRunAt, lastTaskID: record.lastTaskID, signer: standing.signer, stoppedReason: standing.stoppedReason
        )
    }
}
