/// Lowercase hex of bytes, without `String(format:)`: that goes through Foundation's
/// formatter for every byte, which showed in profiles (a certificate serial on every request)
/// and links ICU into the agent.
extension Sequence where Element == UInt8 {
    public var lowercaseHex: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
