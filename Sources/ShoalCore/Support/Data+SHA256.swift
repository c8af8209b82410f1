import Crypto
import Foundation

extension Data {
    /// Lower-case hex SHA-256, the form bundle files are addressed by.
    public var sha256Hex: String { SHA256.hash(data: self).hexString }
}
