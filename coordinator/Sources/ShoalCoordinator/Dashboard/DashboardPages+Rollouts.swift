import Foundation
import ShoalCore

extension DashboardPages {
    struct TaskRow: Sendable { var id, name, status, progress, createdBy, createdAt: String }
    struct RolloutsPage: Sendable { let title = "Rollouts"
        var who: String, tasks: [TaskRow] }

    func rolloutsPage(who: String) async throws -> RolloutsPage {
        let planner = TaskPlanner(fleet: fleet)
        var rows: [TaskRow] = []
        for task in try await fleet.store.tasks(limit: 100) {
            let view = try await planner.view(of: task, includeNodes: false)
            let done = NodeTaskStatus.allCases.filter(\.isFinal).reduce(0) { $0 + (view.counts[$1.rawValue] ?? 0) }
            rows.append(TaskRow(
                id: view.id, name: view.name, status: view.status.rawValue, progress: "\(done)/\(view.total) finished",
                createdBy: view.createdBy, createdAt: Timestamp.format(view.createdAt)
            ))
        }
        return RolloutsPage(who: who, tasks: rows)
    }

    struct CountCell: Sendable { var state: String; var count: Int }
    struct NodeProgressRow: Sendable { var taskID, nodeID, hostname, status, exitCode, message: String }
    struct RolloutPage: Sendable {
        var title: String, who: String, id, name, status, statusReason, createdBy, createdAt, selector, policy: String
        var hasStatusReason: Bool
        var counts: [CountCell], nodes: [NodeProgressRow], mayCancel: Bool, csrf: String
    }

    func rolloutPage(id: String, who: String, session: DashboardSessions.Session) async throws -> RolloutPage? {
        guard let task = try await fleet.store.task(id: id) else { return nil }
        let view = try await TaskPlanner(fleet: fleet).view(of: task)
        let policy = view.policy.map { policy in
            "concurrency \(policy.maxConcurrency?.description ?? "all"), errors allowed \(policy.maxErrors.description), canary \(policy.canary)"
        } ?? "default policy"
        return RolloutPage(
            title: view.name, who: who, id: view.id, name: view.name, status: view.status.rawValue, statusReason: view.statusReason ?? "",
            createdBy: view.createdBy, createdAt: Timestamp.format(view.createdAt), selector: view.selector.isEmpty ? "(every node)" : view.selector,
            policy: policy, hasStatusReason: !(view.statusReason ?? "").isEmpty, counts: NodeTaskStatus.allCases.map { CountCell(state: $0.rawValue, count: view.counts[$0.rawValue] ?? 0) },
            nodes: view.nodes.map { node in
                NodeProgressRow(
                    taskID: view.id, nodeID: node.nodeID, hostname: node.hostname, status: node.status.rawValue,
                    exitCode: node.exitCode.map(String.init) ?? "", message: node.message ?? node.firstLine ?? ""
                )
            },
            mayCancel: session.mayCancel && !view.isFinished, csrf: session.csrfToken
        )
    }

    /// What the rollout page's live stream sends each time something changed.
    struct Progress: Codable, Sendable, Equatable {
        struct Node: Codable, Sendable, Equatable { var nodeID: String; var status: String; var exitCode: Int32?; var message: String? }
        var status: String
        var finished: Bool
        var counts: [String: Int]
        var nodes: [Node]
    }

    func progress(taskID: String) async throws -> Progress? {
        guard let task = try await fleet.store.task(id: taskID) else { return nil }
        let view = try await TaskPlanner(fleet: fleet).view(of: task)
        return Progress(
            status: view.status.rawValue, finished: view.isFinished,
            counts: Dictionary(NodeTaskStatus.allCases.map { ($0.rawValue, view.counts[$0.rawValue] ?? 0) }, uniquingKeysWith: { first, _ in first }),
            nodes: view.nodes.map { Progress.Node(nodeID: $0.nodeID, status: $0.status.rawValue, exitCode: $0.exitCode, message: $0.message ?? $0.firstLine) }
        )
    }

    struct ScheduleRow: Sendable { var name, cron, selector, state, lastRun: String }
    struct SchedulesPage: Sendable { let title = "Schedules"
        var who: String, schedules: [ScheduleRow] }

    func schedulesPage(who: String) async throws -> SchedulesPage {
        let stored = try await fleet.store.schedules()
        var rows = stored.readable.map { record in
            let view = ScheduleRoutes.view(record, fleet: fleet)
            return ScheduleRow(
                name: view.name, cron: view.cron, selector: view.selector,
                state: view.stoppedReason.map { "stopped: \($0)" } ?? "next run \(Timestamp.format(view.nextRunAt))",
                lastRun: view.lastRunAt.map { Timestamp.format($0) + (view.lastTaskID.map { " (\($0))" } ?? "") } ?? "never"
            )
        }
        rows += stored.broken.map { ScheduleRow(name: $0.name, cron: $0.cron, selector: "", state: "broken: \($0.problem)", lastRun: "") }
        return SchedulesPage(who: who, schedules: rows)
    }

    struct AuditRow: Sendable { var seq: Int64; var at, actor, action, target, result: String }
    struct AuditPage: Sendable { let title = "Audit"
        var who: String, count: Int, entries: [AuditRow] }

    func auditPage(who: String) async throws -> AuditPage {
        let head = try await fleet.store.auditHead()?.seq ?? 0
        var query = AuditQuery()
        query.after = max(0, head - 100)
        query.limit = 100
        let entries = try await fleet.store.auditEntries(query).reversed().map { entry in
            AuditRow(
                seq: entry.seq, at: Timestamp.format(entry.at), actor: entry.actor, action: entry.action,
                target: entry.entry?.target.summary ?? "", result: entry.entry?.result ?? ""
            )
        }
        return AuditPage(who: who, count: entries.count, entries: entries)
    }
}
