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

    /// Labels set by an operator-signed statement: the key is the statement's signer.
    static func nodeLabelsSigned(_ statement: LabelStatement, envelope: DSSEEnvelope, grant: TrustDocument.OperatorGrant, by peer: PeerIdentity) -> AuditEntry {
        AuditEntry(
            by: peer, keyID: grant.key.keyID, action: "node.labels", target: AuditTarget(nodes: [statement.nodeID]), result: "labels v\(statement.version) set",
            details: ["labels": labelText(statement.labels), "version": "\(statement.version)", "signer": grant.name, "statementHash": statementHash(envelope)]
        )
    }

    static func nodeRevoked(nodeID: String, by peer: PeerIdentity, at: Date) -> AuditEntry {
        AuditEntry(by: peer, action: "node.revoke", target: AuditTarget(nodes: [nodeID]), result: "revoked", at: at)
    }

    /// `keyID` is the operator key that signed the task statement; `taskHash` the SHA-256 of
    /// the statement's signed bytes (the DSSE payload), which identifies the task on every node.
    static func taskCreated(_ task: TaskRecord, accepted: SignedTaskIntake.Accepted, nodeIDs: [String], by peer: PeerIdentity) -> AuditEntry {
        let request = accepted.request
        var details = ["name": task.name, "checkMode": "\(request.checkMode)", "signer": accepted.grant.name]
        if let policy = try? String(decoding: WireCoding.encode(request.policy), as: UTF8.self) { details["policy"] = policy }
        if let slot = task.scheduledAt { details["scheduledAt"] = Timestamp.format(slot) }
        return AuditEntry(
            by: peer, keyID: accepted.grant.key.keyID, action: "task.create", target: AuditTarget(nodes: nodeIDs, task: task.id),
            selector: request.selector, taskHash: statementHash(accepted.envelope), result: "\(nodeIDs.count) node(s) targeted",
            details: details, at: task.createdAt
        )
    }

    static func taskCancelled(taskID: String, by peer: PeerIdentity, at: Date) -> AuditEntry {
        AuditEntry(by: peer, action: "task.cancel", target: AuditTarget(task: taskID), result: "cancel requested", at: at)
    }

    /// `keyID` and `taskHash` as for `taskCreated`: the signer of the schedule's statement.
    static func scheduleAdded(_ schedule: ScheduleRecord, accepted: SignedTaskIntake.Accepted, by peer: PeerIdentity) -> AuditEntry {
        AuditEntry(
            by: peer, keyID: accepted.grant.key.keyID, action: "schedule.add", target: AuditTarget(schedule: schedule.name),
            selector: accepted.request.selector, taskHash: statementHash(accepted.envelope), result: "added",
            details: ["cron": schedule.cron, "task": accepted.request.name, "signer": accepted.grant.name], at: schedule.createdAt
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

    /// A trust document an admin published (checked as agents check it before it is stored).
    static func trustPublished(_ document: TrustDocument, envelope: DSSEEnvelope, change: String, by peer: PeerIdentity?, at: Date) -> AuditEntry {
        let signers = envelope.signatures.map(\.keyid).sorted().joined(separator: ",")
        let details = ["version": "\(document.version)", "rootKeys": signers, "documentHash": statementHash(envelope)]
        guard let peer else {
            return AuditEntry(
                at: at, actor: "coordinator init", role: coordinatorRole, action: "trust.publish", target: AuditTarget(),
                result: "v\(document.version) installed: \(change)", details: details
            )
        }
        return AuditEntry(by: peer, action: "trust.publish", result: "v\(document.version) installed: \(change)", details: details, at: at)
    }

    /// Lower-case hex SHA-256 of the bytes an operator or root signed; empty if the payload
    /// is not base64 (never for a verified envelope).
    static func statementHash(_ envelope: DSSEEnvelope) -> String {
        (try? envelope.payloadBytes())?.sha256Hex ?? ""
    }

    private static func labelText(_ labels: [String: String]) -> String {
        labels.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ",")
    }
}
