import Foundation
import ShoalCore

/// The audit entry of each change the coordinator makes, in one place, so every store backend
/// and route records the same fields (docs/security.md, "Audit", lists them).
extension AuditEntry {
    static func tokenCreated(_ token: JoinTokenRecord, ttlSeconds: Int, by peer: PeerIdentity) -> AuditEntry {
        AuditEntry(
            by: peer, action: "token.create", target: AuditTarget(token: token.id), result: "created",
            details: ["uses": "\(token.usesAllowed)", "ttl": DurationText.format(seconds: ttlSeconds), "labels": labelText(token.labels)],
            at: token.createdAt
        )
    }

    static func nodeLabelsChanged(nodeID: String, set: [String: String], removed: [String], by peer: PeerIdentity) -> AuditEntry {
        AuditEntry(
            by: peer, action: "node.labels", target: AuditTarget(nodes: [nodeID]), result: "labels changed",
            details: ["set": labelText(set), "removed": removed.sorted().joined(separator: ",")]
        )
    }

    static func nodeRevoked(nodeID: String, by peer: PeerIdentity, at: Date) -> AuditEntry {
        AuditEntry(by: peer, action: "node.revoke", target: AuditTarget(nodes: [nodeID]), result: "revoked", at: at)
    }

    static func operatorCreated(name: String, role: PeerIdentity.Role, serial: String, validityDays: Int, by peer: PeerIdentity) -> AuditEntry {
        AuditEntry(
            by: peer, action: "operator.create", target: AuditTarget(operator: name), result: "certificate issued",
            details: ["role": role.rawValue, "serial": serial, "validityDays": "\(validityDays)"]
        )
    }

    /// `taskHash` is the SHA-256 of the request exactly as the task stores it.
    static func taskCreated(_ task: TaskRecord, request: TaskCreateRequest, nodeIDs: [String], by peer: PeerIdentity) -> AuditEntry {
        var details = ["name": task.name, "checkMode": "\(request.checkMode)"]
        if let policy = try? String(decoding: WireCoding.encode(request.policy), as: UTF8.self) { details["policy"] = policy }
        return AuditEntry(
            by: peer, action: "task.create", target: AuditTarget(nodes: nodeIDs, task: task.id), selector: request.selector,
            taskHash: Data(task.requestJSON.utf8).sha256Hex, result: "\(nodeIDs.count) node(s) targeted", details: details, at: task.createdAt
        )
    }

    static func taskCancelled(taskID: String, by peer: PeerIdentity, at: Date) -> AuditEntry {
        AuditEntry(by: peer, action: "task.cancel", target: AuditTarget(task: taskID), result: "cancel requested", at: at)
    }

    /// `taskHash` is the SHA-256 of the task request exactly as the schedule stores it.
    static func scheduleAdded(_ schedule: ScheduleRecord, by peer: PeerIdentity) -> AuditEntry {
        let request = schedule.request
        return AuditEntry(
            by: peer, action: "schedule.add", target: AuditTarget(schedule: schedule.name), selector: request?.selector,
            taskHash: Data(schedule.requestJSON.utf8).sha256Hex, result: "added",
            details: ["cron": schedule.cron, "task": request?.name ?? ""], at: schedule.createdAt
        )
    }

    static func scheduleRemoved(name: String, by peer: PeerIdentity) -> AuditEntry {
        AuditEntry(by: peer, action: "schedule.remove", target: AuditTarget(schedule: name), result: "removed")
    }

    /// A node joined with a token: the actor is the new node, the token says who let it in.
    static func nodeEnrolled(_ node: NodeRecord, token: JoinTokenRecord, at: Date) -> AuditEntry {
        AuditEntry(
            at: at, actor: node.id, role: PeerIdentity.Role.node.rawValue, action: "node.enroll",
            target: AuditTarget(nodes: [node.id], token: token.id), result: "enrolled",
            details: ["hostname": node.hostname, "labels": labelText(node.labels)]
        )
    }

    /// The rollout engine asked for a move the state machine forbids; refused, and recorded.
    static func illegalRolloutTransition(taskID: String, from: RolloutStatus, to next: RolloutStatus, at: Date) -> AuditEntry {
        AuditEntry(
            at: at, actor: "coordinator", role: coordinatorRole, action: "rollout.illegal_transition", target: AuditTarget(task: taskID),
            result: "refused", details: ["from": from.rawValue, "to": next.rawValue]
        )
    }

    private static func labelText(_ labels: [String: String]) -> String {
        labels.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ",")
    }
}
