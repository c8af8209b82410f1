import Foundation

/// One change to the fleet as the audit chain records it: who made it, with which key, what
/// it did to what, and what came of it. Written in the same transaction as the change, so a
/// change that did not happen has no entry and an entry that could not be written undoes the
/// change. `AuditLink` chains entries; docs/security.md ("Audit") describes every field.
public struct AuditEntry: Codable, Sendable, Equatable {
    /// When the change was made (coordinator clock, millisecond precision).
    public var at: Date
    /// The name from the caller's certificate (`alice`), `schedule:NAME` for a run a schedule
    /// started, the node id for an enrollment, `coordinator` for the coordinator itself.
    public var actor: String
    /// The certificate's role (`admin`, `operator`, `viewer`, `node`), or `coordinator`.
    public var role: String
    /// The operator signing key, when the request was signed with one.
    public var keyID: String?
    /// What was done, `noun.verb`: `task.create`, `node.revoke`, `schedule.add`, …
    public var action: String
    /// What it was done to.
    public var target: AuditTarget
    /// The node selector of a task or schedule.
    public var selector: String?
    /// Lower-case hex SHA-256 of the signed task statement, or of the task request as stored.
    public var taskHash: String?
    /// What the change did: `created`, `revoked`, `3 node(s) targeted`, …
    public var result: String
    /// Other facts about the change, by name (labels set, TTL, policy, …).
    public var details: [String: String]?

    public init(
        at: Date = Timestamp.now(), actor: String, role: String, keyID: String? = nil, action: String, target: AuditTarget = AuditTarget(),
        selector: String? = nil, taskHash: String? = nil, result: String, details: [String: String]? = nil
    ) {
        self.at = at
        self.actor = actor
        self.role = role
        self.keyID = keyID
        self.action = action
        self.target = target
        self.selector = selector
        self.taskHash = taskHash
        self.result = result
        self.details = details
    }

    /// An entry for a change made by the holder of a certificate.
    public init(
        by peer: PeerIdentity, keyID: String? = nil, action: String, target: AuditTarget = AuditTarget(), selector: String? = nil,
        taskHash: String? = nil, result: String, details: [String: String]? = nil, at: Date = Timestamp.now()
    ) {
        self.init(
            at: at, actor: peer.name, role: peer.role.rawValue, keyID: keyID, action: action, target: target, selector: selector,
            taskHash: taskHash, result: result, details: details
        )
    }

    /// The role of entries the coordinator writes on its own behalf.
    public static let coordinatorRole = "coordinator"
}
