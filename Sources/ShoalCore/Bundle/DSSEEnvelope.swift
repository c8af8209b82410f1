import Foundation

/// A Dead Simple Signing Envelope (https://github.com/secure-systems-lab/dsse, protocol v1).
///
/// The signature covers `PAE(payloadType, payload)`, never the JSON of the envelope, so
/// nothing in transport encoding can change what was signed.
public struct DSSEEnvelope: Codable, Sendable, Equatable {
    public struct Signature: Codable, Sendable, Equatable {
        public var keyid: String
        /// Base64 (standard alphabet) of the raw signature bytes.
        public var sig: String

        public init(keyid: String, sig: String) {
            self.keyid = keyid
            self.sig = sig
        }
    }

    public var payloadType: String
    /// Base64 (standard alphabet) of the serialized body.
    public var payload: String
    public var signatures: [Signature]

    public init(payloadType: String, payload: String, signatures: [Signature]) {
        self.payloadType = payloadType
        self.payload = payload
        self.signatures = signatures
    }

    /// The decoded payload bytes, or `bundle.malformed` if the base64 is broken or not in its
    /// canonical spelling (one envelope, one serialization: nothing in it changes unnoticed).
    public func payloadBytes() throws -> Data {
        guard let data = Data(canonicalBase64: payload) else {
            throw ShoalError(.bundleMalformed, "the envelope's payload is not canonical base64 (standard alphabet, padded, unused bits zero)")
        }
        return data
    }

    /// Pre-Authentication Encoding from the DSSE spec:
    /// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, LEN as ASCII decimal byte count.
    public static func preAuthenticationEncoding(payloadType: String, payload: Data) -> Data {
        let typeBytes = Data(payloadType.utf8)
        var out = Data("DSSEv1 \(typeBytes.count) ".utf8)
        out.append(typeBytes)
        out.append(Data(" \(payload.count) ".utf8))
        out.append(payload)
        return out
    }
}
