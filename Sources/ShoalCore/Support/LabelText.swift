import Foundation

/// Labels are `key=value` pairs operators select nodes by. They come from the join token a
/// node enrolled with and from operators (`nodes label`); what a node says about itself is
/// kept apart as *claimed* labels, which selectors reach only as `claimed.KEY`.
public enum LabelText {
    static let keyCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./")
    /// Names selectors resolve to something other than a label: built-ins and facts a node
    /// reports. A label with one of these names would shadow, or be confused with, the fact.
    public static let reservedKeys: Set<String> = ["id", "hostname", "status", "kernel", "arch"]
    /// A key equal to one of these, or starting with one and a dot, is reserved too
    /// (`gpu.count`, `os.release`, `claimed.env`, and any future fact in those families).
    public static let reservedPrefixes = ["os", "cpu", "memory", "gpu", "agent", "disk", "claimed", "shoal"]

    /// Checks a label someone sets: key syntax, a reserved name, and a value without
    /// control characters (they would split log lines and rewrite terminals).
    public static func validate(key: String, value: String) throws {
        try validateKeySyntax(key, what: "label key")
        if let reason = reservation(of: key) {
            throw ShoalError(.invalidArgument, "label key '\(key)' is reserved: \(reason); choose another name (for example 'site.\(key)')")
        }
        guard value.count <= 253, !value.contains(","), !value.contains("=") else {
            throw ShoalError(.invalidArgument, "label value \(value.debugDescription) for '\(key)' must be at most 253 characters without ',' or '='")
        }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format }) else {
            throw ShoalError(.invalidArgument, "label value \(value.debugDescription) for '\(key)' contains control characters; use printable text")
        }
    }

    /// Key syntax only: 1-63 letters, digits, `-`, `_`, `.`, `/`. Also used for names that
    /// are not labels (operators).
    public static func validateKeySyntax(_ key: String, what: String = "name") throws {
        guard !key.isEmpty, key.count <= 63, key.allSatisfy(keyCharacters.contains) else {
            throw ShoalError(.invalidArgument, "\(what) \(key.debugDescription) must be 1-63 characters of letters, digits, '-', '_', '.', '/'")
        }
    }

    /// Why `key` may not be a label, or nil when it may.
    public static func reservation(of key: String) -> String? {
        if reservedKeys.contains(key) { return "selectors read '\(key)' from the node itself" }
        for prefix in reservedPrefixes where key == prefix || key.hasPrefix(prefix + ".") {
            return prefix == "claimed"
                ? "'claimed.' names the labels a node reports about itself"
                : "'\(prefix).' names facts the node reports (\(prefix).*)"
        }
        return nil
    }

    /// Parses `k=v` arguments into a dictionary.
    public static func parse(_ pairs: [String]) throws -> [String: String] {
        var labels: [String: String] = [:]
        for pair in pairs.flatMap({ $0.split(separator: ",").map(String.init) }) {
            guard let equals = pair.firstIndex(of: "=") else {
                throw ShoalError(.invalidArgument, "'\(pair)' is not key=value")
            }
            let key = String(pair[..<equals]).trimmingCharacters(in: .whitespaces)
            let value = String(pair[pair.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
            try validate(key: key, value: value)
            labels[key] = value
        }
        return labels
    }
}
