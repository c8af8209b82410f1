import Foundation
import Hummingbird
import ShoalCore

/// `/v1/schedules`: recurring rollouts. Reading needs any operator role; adding and
/// removing need `operator` or `admin`, and are audited.
struct ScheduleRoutes: Sendable {
    let fleet: Fleet

    func add(to router: Router<CoordinatorRequestContext>) {
        let read = router.group("/v1/schedules").add(middleware: RequireOperatorMiddleware(roles: [.admin, .operator, .viewer]))
        let write = router.group("/v1/schedules").add(middleware: RequireOperatorMiddleware(roles: [.admin, .operator]))
        let limit = fleet.config.maxBodyBytes

        write.post { request, context in
            let body = try await request.decodeJSON(ScheduleCreateRequest.self, limit: limit)
            let peer = try context.requirePeer()
            try LabelText.validateKeySyntax(body.name, what: "schedule name")
            let cron = try CronSchedule(parsing: body.cron)
            let accepted = try SignedTaskIntake(fleet: fleet).check(body.task, sender: peer)
            guard accepted.statement.schedule == TaskStatement.ScheduleGrant(name: body.name, cron: body.cron) else {
                throw ShoalError(.invalidArgument, "the task is not signed as schedule '\(body.name)' with cron '\(body.cron)'; sign it for this schedule ('coordinator schedule add' does)")
            }
            // Refuse a task that could never start now rather than at 3 a.m.
            _ = try NodeSelector(parsing: accepted.request.selector)
            let now = Date()
            var record = ScheduleRecord(
                name: body.name, cron: cron.description, requestJSON: try accepted.request.jsonText(), createdAt: now,
                createdBy: peer.name, nextRunAt: cron.next(after: now)
            )
            record.statementJSON = try accepted.envelope.jsonText()
            try await fleet.store.insertSchedule(record)
            try await fleet.store.audit(AuditRecord(at: now, actor: peer.description, action: "schedule.add", detail: "schedule \(body.name) '\(body.cron)' signed by \(accepted.grant.name)"))
            return try JSONResponse.make(Self.view(record, fleet: fleet), status: .created)
        }
        read.get { _, _ in
            try JSONResponse.make(ScheduleListResponse(schedules: try await fleet.store.schedules().map { Self.view($0, fleet: fleet) }))
        }
        read.get("{name}/runs") { _, context in
            let name = try context.parameters.require("name")
            let runs = try await fleet.store.scheduleRuns(name: name, limit: 100)
            return try JSONResponse.make(ScheduleRunsResponse(runs: runs.map { ScheduleRunView(at: $0.at, outcome: $0.outcome, taskID: $0.taskID, detail: $0.detail) }))
        }
        write.delete("{name}") { _, context in
            let name = try context.parameters.require("name")
            guard try await fleet.store.deleteSchedule(name: name) else {
                throw ShoalError(.notFound, "no schedule named '\(name)'; 'coordinator schedule list' shows them")
            }
            try await fleet.store.audit(AuditRecord(at: Date(), actor: try context.requirePeer().description, action: "schedule.remove", detail: "schedule \(name)"))
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
