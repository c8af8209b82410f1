import Crypto
import Foundation

/// Random identifiers and secrets from the system CSPRNG.
public enum RandomID {
    /// Lowercase hex of `bytes` random bytes.
    public static func make(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }

    /// SHA-256 hex of a secret, how tokens are stored.
    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexString
    }
}
