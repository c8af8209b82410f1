import Foundation
import ShoalCore

/// The audit entries of operator credentials (TLS client certificates): issued, renewed,
/// revoked. The target is the credential's name; its serial, role and dates are details, so
/// `audit list --action 'operator.*'` answers "who let whom in, and until when".
extension AuditEntry {
    /// An admin issued a credential (`operator create`), or `coordinator init` made the first
    /// admin's (`peer` nil: the actor is `coordinator init`).
    static func operatorCreated(_ record: OperatorCredentialRecord, validityDays: Int, by peer: PeerIdentity?) -> AuditEntry {
        let details = [
            "role": record.role.rawValue, "serial": record.serial, "validityDays": "\(validityDays)", "expiresAt": Timestamp.format(record.expiresAt),
        ]
        let target = AuditTarget(operator: record.name)
        guard let peer else {
            return AuditEntry(
                at: record.issuedAt, actor: "coordinator init", role: coordinatorRole, action: "operator.create", target: target,
                result: "certificate issued", details: details
            )
        }
        return AuditEntry(by: peer, action: "operator.create", target: target, result: "certificate issued", details: details, at: record.issuedAt)
    }

    /// The holder renewed their own credential, same key: `record` is the new certificate.
    static func operatorRenewed(_ record: OperatorCredentialRecord, by peer: PeerIdentity) -> AuditEntry {
        var details = ["role": record.role.rawValue, "serial": record.serial, "expiresAt": Timestamp.format(record.expiresAt)]
        if let renewalOf = record.renewalOf { details["renewalOf"] = renewalOf }
        return AuditEntry(
            by: peer, action: "operator.renew", target: AuditTarget(operator: record.name), result: "certificate renewed", details: details,
            at: record.issuedAt
        )
    }

    /// An admin revoked credentials: every one under a name, or one by serial. `records` are
    /// those this revocation changed (never empty: nothing revoked, nothing recorded).
    static func operatorRevoked(_ records: [OperatorCredentialRecord], by peer: PeerIdentity, at: Date) -> AuditEntry {
        let names = Set(records.map(\.name)).sorted().joined(separator: ",")
        let details = [
            "serials": records.map(\.serial).joined(separator: ","),
            "roles": Set(records.map(\.role.rawValue)).sorted().joined(separator: ","),
        ]
        return AuditEntry(
            by: peer, action: "operator.revoke", target: AuditTarget(operator: names), result: "\(records.count) credential(s) revoked",
            details: details, at: at
        )
    }
}
