import Foundation

extension TrustDocument {
    /// The task statement in `envelope` and the grant of the operator key that signed it:
    /// the operator layer of a bundle, checked the same way by the coordinator (before it
    /// stores a task) and by every agent (before it runs one).
    public func verifyTask(_ envelope: DSSEEnvelope) throws -> (TaskStatement, OperatorGrant) {
        guard envelope.payloadType == TaskStatement.payloadType else {
            throw ShoalError(.bundleWrongType, "the task has payload type '\(envelope.payloadType)', expected '\(TaskStatement.payloadType)'")
        }
        let keys = operators.map(\.key)
        let verified = envelope.verifiedKeyIDs(among: keys)
        if verified.isEmpty {
            // Only to say why (no signature, altered, unknown key); it throws.
            try BundleVerifier.requireSignature(envelope, by: keys, what: "operator key", untrusted: .operatorUntrusted, document: version)
            throw ShoalError(.operatorUntrusted, "the task is not signed by an operator of trust document v\(version)")
        }
        let statement = try envelope.decodePayload(TaskStatement.self, expecting: TaskStatement.payloadType, malformed: .bundleMalformed)
        // The grant of the operator the statement names, among the keys that signed it.
        guard let grant = operators.first(where: { $0.name == statement.operatorName && verified.contains($0.key.keyID) }) else {
            let signers = operators.filter { verified.contains($0.key.keyID) }.map(\.name).joined(separator: ", ")
            throw ShoalError(.operatorUntrusted, "the task says it is from '\(statement.operatorName)' but is signed with the key of '\(signers)'")
        }
        return (statement, grant)
    }

    /// The label statement in `envelope` and its signer's grant, if `current` and the new
    /// labels are both inside that signer's scope.
    public func verifyLabels(_ envelope: DSSEEnvelope, nodeID: String, current: [String: String]) throws -> (LabelStatement, OperatorGrant) {
        let keys = operators.map(\.key)
        guard let keyID = envelope.verifiedKeyIDs(among: keys).first, let grant = operatorGrant(keyID: keyID) else {
            throw ShoalError(.labelsRefused, "the label statement is not signed by an operator of trust document v\(version) (revoked, or never added)")
        }
        let statement = try envelope.decodePayload(LabelStatement.self, expecting: LabelStatement.payloadType, malformed: .labelsRefused)
        guard statement.nodeID == nodeID else {
            throw ShoalError(.labelsRefused, "the label statement is for node \(statement.nodeID), not \(nodeID)")
        }
        guard statement.operatorName == grant.name else {
            throw ShoalError(.labelsRefused, "the label statement says it is from '\(statement.operatorName)' but is signed with the key of '\(grant.name)'")
        }
        guard grant.scope.admits(labels: current), grant.scope.admits(labels: statement.labels) else {
            throw ShoalError(.labelsRefused, "operator '\(grant.name)' may label \(grant.scope.description); this change would take node \(nodeID) across that boundary")
        }
        for (key, value) in statement.labels { try LabelText.validate(key: key, value: value) }
        return (statement, grant)
    }
}
