import Crypto
import Foundation
import X509

/// Proof that whoever asks to renew a node's certificate for a *new* key also holds the
/// node's *current* key: an ECDSA signature by the current key over the new CSR. Renewal
/// with the same key needs no proof (the mTLS handshake and the CSR's own signature already
/// show possession); a change of key without it is refused, so a stolen certificate session
/// cannot move the node's identity to a key the attacker made.
public enum KeyChangeProof {
    static func message(newCSRPEM: String) -> Data {
        Data("shoal-key-change-v1\n".utf8) + Data(SHA256.hash(data: Data(newCSRPEM.utf8)))
    }

    /// Base64 DER signature by `currentKey` over the new CSR.
    public static func sign(newCSRPEM: String, with currentKey: NodeKey) throws -> String {
        try currentKey.privateKey.signature(for: message(newCSRPEM: newCSRPEM)).derRepresentation.base64EncodedString()
    }

    public static func verify(_ proof: String, newCSRPEM: String, currentKey: Certificate.PublicKey) -> Bool {
        guard let key = P256.Signing.PublicKey(currentKey),
              let der = Data(base64Encoded: proof),
              let signature = try? P256.Signing.ECDSASignature(derRepresentation: der) else { return false }
        return key.isValidSignature(signature, for: message(newCSRPEM: newCSRPEM))
    }
}
