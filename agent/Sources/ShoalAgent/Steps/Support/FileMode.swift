import ShoalCore

/// A file mode as authors write it: "0644", "644" or a bare YAML number 644 (read as octal,
/// because that is what everyone who writes 644 means).
public struct FileMode: Codable, Sendable, Equatable {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text: String
        if let number = try? container.decode(Int.self) {
            text = String(number)
        } else {
            text = try container.decode(String.self)
        }
        guard let value = Ownership.mode(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "mode '\(text)' is not an octal mode like \"0644\"")
        }
        self.value = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Ownership.modeText(value))
    }
}
