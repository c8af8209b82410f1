import Foundation

extension DSSEEnvelope {
    /// At most this many signatures are looked at: a root threshold or a k-of-n cosign needs
    /// a handful, and each costs a verify.
    public static let maxSignatures = 16

    /// Key ids of `keys` whose signature on this envelope verifies, each counted once. Each key
    /// gets one attempt, so signatures repeating a key id cost nothing more.
    public func verifiedKeyIDs(among keys: [TrustedBundleKey]) -> Set<String> {
        guard let body = try? payloadBytes() else { return [] }
        let pae = Self.preAuthenticationEncoding(payloadType: payloadType, payload: body)
        var verified: Set<String> = []
        var tried: Set<String> = []
        for signature in signatures.prefix(Self.maxSignatures) {
            guard let key = keys.first(where: { $0.keyID == signature.keyid }), tried.insert(key.keyID).inserted,
                  let raw = Data(canonicalBase64: signature.sig), key.verify(signature: raw, for: pae) else { continue }
            verified.insert(key.keyID)
        }
        return verified
    }

    /// This envelope with `key`'s signature added (k-of-n signing passes one file around).
    public func addingSignature(of key: BundleSigningKey) throws -> DSSEEnvelope {
        let signed = try key.sign(payload: payloadBytes(), payloadType: payloadType)
        var copy = self
        copy.signatures.removeAll { $0.keyid == key.publicKey.keyID }
        copy.signatures += signed.signatures
        return copy
    }

    /// Decodes the payload as `T` after checking the payload type; `malformed` on failure.
    public func decodePayload<T: Decodable>(_ type: T.Type, expecting payloadType: String, malformed: ShoalError.Code) throws -> T {
        guard self.payloadType == payloadType else {
            throw ShoalError(malformed, "payload type is '\(self.payloadType)', expected '\(payloadType)'")
        }
        guard let body = try? payloadBytes() else { throw ShoalError(malformed, "the envelope's payload is not valid base64") }
        do {
            return try WireCoding.decode(type, from: body)
        } catch let error as ShoalError {
            throw ShoalError(malformed, "the signed payload does not parse: \(error.message)")
        }
    }
}
