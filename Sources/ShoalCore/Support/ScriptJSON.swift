import Foundation

/// JSON for scripts: what both command lines print under `--json`. Unlike the wire encoding
/// (`WireCoding`), which leaves an optional without a value out on purpose, every key a type
/// declares is written, `null` when it has no value — so `r["nodeID"]` in a script reads
/// `None` for a host that failed instead of raising. Keys are sorted and dates are RFC 3339,
/// as on the wire.
public enum ScriptJSON {
    public static func text<T: Encodable>(_ value: T, pretty: Bool = true) throws -> String {
        let root = NullKeepingEncoder.Box()
        try NullKeepingEncoder.encode(value, into: root, codingPath: [])
        let data = try WireCoding.encode(root.resolved, pretty: pretty)
        return String(decoding: data, as: UTF8.self)
    }
}
