import Crypto
import Foundation
import SwiftASN1
import X509

/// PEM helpers and fingerprints used by both sides.
extension Certificate {
    public var pemText: String {
        get throws { try serializeAsPEM().pemString + "\n" }
    }

    public var derBytes: [UInt8] {
        get throws {
            var serializer = DER.Serializer()
            try serializer.serialize(self)
            return serializer.serializedBytes
        }
    }

    /// `sha256:` + lowercase hex of SHA-256 over the DER encoding, the form `--ca-fingerprint` takes.
    public var fingerprint: String {
        get throws { "sha256:" + SHA256.hash(data: try derBytes).hexString }
    }

    /// The serial number as lowercase hex, how the store remembers which certificate a node holds.
    public var serialHex: String {
        serialNumber.bytes.lowercaseHex
    }

    /// `sha256:` + hex of SHA-256 over the certificate's SubjectPublicKeyInfo: which key it
    /// certifies. The store keeps it, so a certificate a stolen CA key forges for a known
    /// serial (and another key) is told apart during a CA rotation.
    public var publicKeyHash: String { publicKey.hash }

    /// Loads every certificate in a PEM bundle.
    public static func all(fromPEM text: String) throws -> [Certificate] {
        try PEMDocument.parseMultiple(pemString: text).map { try Certificate(pemDocument: $0) }
    }
}

/// Normalises fingerprints as typed (`sha256:AB:CD...`, any case) for comparison.
public enum FingerprintText {
    public static func normalise(_ text: String) -> String {
        var body = text.lowercased()
        if body.hasPrefix("sha256:") { body = String(body.dropFirst(7)) }
        body.removeAll { $0 == ":" || $0 == " " }
        return "sha256:" + body
    }
}

extension Certificate.PublicKey {
    /// `sha256:` + hex of SHA-256 over the SubjectPublicKeyInfo (see `Certificate.publicKeyHash`).
    public var hash: String {
        "sha256:" + SHA256.hash(data: Array(subjectPublicKeyInfoBytes)).hexString
    }
}
