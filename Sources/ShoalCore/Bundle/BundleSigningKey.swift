import Crypto
import Foundation

/// The Ed25519 key that signs task bundles. The coordinator holds one; operators may hold
/// their own for offline signing. Agents hold only public halves (`TrustedBundleKey`).
public struct BundleSigningKey: Sendable {
    public let privateKey: Curve25519.Signing.PrivateKey

    public init() { self.privateKey = Curve25519.Signing.PrivateKey() }

    public init(rawRepresentation: Data) throws {
        self.privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: rawRepresentation)
    }

    public var publicKey: TrustedBundleKey { TrustedBundleKey(publicKey: privateKey.publicKey) }

    /// Signs `payload` as a DSSE envelope of `payloadType`.
    public func sign(payload: Data, payloadType: String) throws -> DSSEEnvelope {
        let pae = DSSEEnvelope.preAuthenticationEncoding(payloadType: payloadType, payload: payload)
        let signature = try privateKey.signature(for: pae)
        return DSSEEnvelope(
            payloadType: payloadType,
            payload: payload.base64EncodedString(),
            signatures: [.init(keyid: publicKey.keyID, sig: Data(signature).base64EncodedString())]
        )
    }

    /// The key file format: one line, `ed25519:` + base64 of the 32-byte seed.
    public var fileText: String { "ed25519:" + privateKey.rawRepresentation.base64EncodedString() + "\n" }

    public init(fileText: String) throws {
        let trimmed = fileText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("ed25519:"), let raw = Data(base64Encoded: String(trimmed.dropFirst(8))) else {
            throw ShoalError(.configInvalid, "bundle signing key file is not in the form 'ed25519:BASE64'")
        }
        do {
            try self.init(rawRepresentation: raw)
        } catch {
            throw ShoalError(.configInvalid, "bundle signing key file holds \(raw.count) bytes, not a 32-byte Ed25519 seed")
        }
    }
}

/// A public Ed25519 key an agent trusts to sign bundles. Its key id is
/// `sha256:` + hex of SHA-256 over the raw 32-byte public key.
public struct TrustedBundleKey: Codable, Sendable, Equatable {
    public var keyID: String
    /// Base64 of the raw 32-byte public key.
    public var publicKey: String

    public init(publicKey: Curve25519.Signing.PublicKey) {
        self.publicKey = publicKey.rawRepresentation.base64EncodedString()
        self.keyID = Self.keyID(for: publicKey.rawRepresentation)
    }

    public init(publicKeyBase64: String) throws {
        guard let raw = Data(base64Encoded: publicKeyBase64), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
            throw ShoalError(.configInvalid, "trusted bundle key is not a base64 Ed25519 public key")
        }
        self.init(publicKey: key)
    }

    public static func keyID(for raw: some DataProtocol) -> String {
        "sha256:" + SHA256.hash(data: raw).hexString
    }

    func verify(signature: Data, for message: Data) -> Bool {
        guard let raw = Data(base64Encoded: publicKey), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
            return false
        }
        return key.isValidSignature(signature, for: message)
    }
}

extension Digest {
    public var hexString: String { self.withUnsafeBytes { Array($0).lowercaseHex } }
}
