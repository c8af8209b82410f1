import Foundation

/// A sysctl value as authors write it: `1`, `"1"`, `"32768 60999"` or `true` (→ "1"),
/// kept as the text the kernel reads, whitespace normalised the way the kernel prints it
/// back (fields separated by one blank; /proc uses tabs, which `normalized` folds).
struct SysctlValue: Codable, Sendable, Equatable {
    var text: String

    init(_ text: String) { self.text = Self.normalized(text) }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            text = flag ? "1" : "0"
        } else if let number = try? container.decode(Int64.self) {
            text = String(number)
        } else {
            text = Self.normalized(try container.decode(String.self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    static func normalized(_ text: String) -> String {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).joined(separator: " ")
    }
}
