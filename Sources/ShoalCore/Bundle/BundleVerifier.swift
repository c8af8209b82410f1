import Foundation

/// The checks an agent makes before anything in a bundle runs, in this order:
/// payload type, a valid signature by a trusted key, a payload that parses, the node id,
/// expiry, and the sequence number against the stored high-water mark.
/// TLS is not trusted for any of this: a bundle is judged by its signature alone.
public struct BundleVerifier: Sendable {
    public var nodeID: String
    public var trustedKeys: [TrustedBundleKey]

    public init(nodeID: String, trustedKeys: [TrustedBundleKey]) {
        self.nodeID = nodeID
        self.trustedKeys = trustedKeys
    }

    /// Returns the verified payload or throws a `ShoalError` with a `bundle.*` code.
    public func verify(_ envelope: DSSEEnvelope, highWaterMark: Int64, now: Date = Date()) throws -> BundlePayload {
        guard envelope.payloadType == BundlePayload.payloadType else {
            throw ShoalError(.bundleWrongType, "payload type is '\(envelope.payloadType)', expected '\(BundlePayload.payloadType)'")
        }
        let body = try envelope.payloadBytes()
        try verifySignature(envelope, body: body)
        let payload: BundlePayload
        do {
            payload = try WireCoding.decode(BundlePayload.self, from: body)
        } catch let error as ShoalError {
            throw ShoalError(.bundleMalformed, "signed payload does not parse: \(error.message)")
        }
        guard payload.version == BundlePayload.currentVersion else {
            throw ShoalError(.bundleMalformed, "bundle format version \(payload.version) is not supported by this agent (supports \(BundlePayload.currentVersion)); upgrade the agent")
        }
        guard payload.nodeID == nodeID else {
            throw ShoalError(.bundleWrongNode, "bundle \(payload.bundleID) is for node \(payload.nodeID), this node is \(nodeID)")
        }
        guard payload.expiresAt > now else {
            throw ShoalError(.bundleExpired, "bundle \(payload.bundleID) expired at \(Timestamp.format(payload.expiresAt)); re-run the task to issue a fresh one")
        }
        guard payload.sequence > highWaterMark else {
            throw ShoalError(.bundleReplayed, "bundle \(payload.bundleID) has sequence \(payload.sequence), not above this node's high-water mark \(highWaterMark): a replay")
        }
        return payload
    }

    private func verifySignature(_ envelope: DSSEEnvelope, body: Data) throws {
        guard !envelope.signatures.isEmpty else {
            throw ShoalError(.bundleBadSignature, "the envelope carries no signature")
        }
        let pae = DSSEEnvelope.preAuthenticationEncoding(payloadType: envelope.payloadType, payload: body)
        var sawTrustedKey = false
        for signature in envelope.signatures {
            guard let key = trustedKeys.first(where: { $0.keyID == signature.keyid }) else { continue }
            sawTrustedKey = true
            if let raw = Data(canonicalBase64: signature.sig), key.verify(signature: raw, for: pae) {
                return
            }
        }
        if sawTrustedKey {
            throw ShoalError(.bundleBadSignature, "the signature does not match the payload: the bundle was altered after signing")
        }
        let ids = envelope.signatures.map(\.keyid).joined(separator: ", ")
        throw ShoalError(.bundleUntrustedKey, "signed by key(s) \(ids), none of which this agent trusts")
    }
}
