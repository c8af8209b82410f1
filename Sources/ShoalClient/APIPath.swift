import Foundation

/// Text an operator typed (a schedule name, a node id or hostname, a task id) as one URL path
/// segment: everything but RFC 3986's unreserved characters is percent-encoded, so `/`, `%`,
/// `?`, `#`, `..` and spaces stay inside the segment. The coordinator decodes every path
/// parameter once.
public enum APIPath {
    static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    public static func segment(_ text: String) -> String {
        // A segment that is all dots would still be read as "this folder" or "up one".
        if !text.isEmpty, text.allSatisfy({ $0 == "." }) { return String(repeating: "%2E", count: text.count) }
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}
