import Foundation

/// One PEM block as other tools write it: RFC 7468 wraps base64 at 64 columns, but base64
/// tools and several libraries wrap at 76 (MIME), some not at all, with LF or CRLF endings.
/// Any wrapping is read; the bytes are what count.
public struct PEMBlock: Sendable, Equatable {
    public var label: String
    public var der: [UInt8]

    /// The first block in `text` whose label is one of `labels`; nil when there is none or its
    /// body is not base64.
    public init?(firstIn text: String, labels: [String]) {
        var label: String?
        var body = ""
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if let current = label {
                if line == "-----END \(current)-----" {
                    guard let data = Data(base64Encoded: body) else { return nil }
                    self.label = current
                    self.der = Array(data)
                    return
                }
                // Headers (RFC 1421 "Proc-Type: …") are not base64 and carry nothing we use.
                if !line.contains(":") { body += line }
            } else if line.hasPrefix("-----BEGIN "), line.hasSuffix("-----") {
                let name = String(line.dropFirst(11).dropLast(5))
                if labels.contains(name) { label = name }
            }
        }
        return nil
    }
}
