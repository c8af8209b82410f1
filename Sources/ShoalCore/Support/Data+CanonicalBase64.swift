import Foundation

extension Data {
    /// Decodes standard, padded base64 only in its one canonical spelling: the text must be
    /// exactly what `base64EncodedString()` makes of the bytes. Foundation alone ignores the
    /// unused low bits of the last character ("QQ==" and "QR==" are both "A"), so a signed
    /// envelope could be changed without changing what it says; here such text is refused.
    public init?(canonicalBase64 text: String) {
        guard let data = Data(base64Encoded: text), data.base64EncodedString() == text else { return nil }
        self = data
    }
}
