import Foundation

/// Labels are `key=value` pairs operators select nodes by.
public enum LabelText {
    static let keyCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./")

    public static func validate(key: String, value: String) throws {
        guard !key.isEmpty, key.count <= 63, key.allSatisfy(keyCharacters.contains) else {
            throw ShoalError(.invalidArgument, "label key '\(key)' must be 1-63 characters of letters, digits, '-', '_', '.', '/'")
        }
        guard value.count <= 253, !value.contains(","), !value.contains("=") else {
            throw ShoalError(.invalidArgument, "label value '\(value)' for '\(key)' must be at most 253 characters without ',' or '='")
        }
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
