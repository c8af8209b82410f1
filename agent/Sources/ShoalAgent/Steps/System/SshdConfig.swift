import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The global part of an sshd configuration, read the way sshd reads it: the main file with
/// its `Include`s expanded in place (globs sorted), stopping at the first `Match` block.
/// sshd keeps the first value it sees for most keywords, so order matters.
struct SshdConfig: Sendable {
    struct Directive: Sendable, Equatable {
        /// Lower-cased, as sshd compares keywords case-insensitively.
        var keyword: String
        var arguments: [String]
        var file: String
    }

    var directives: [Directive]

    static func read(main: String) -> SshdConfig {
        var directives: [Directive] = []
        var seen = Set<String>()
        _ = collect(main, into: &directives, seen: &seen, base: (main as NSString).deletingLastPathComponent)
        return SshdConfig(directives: directives)
    }

    /// Appends the directives of `path`; false once a `Match` ends the global section.
    private static func collect(_ path: String, into directives: inout [Directive], seen: inout Set<String>, base: String) -> Bool {
        guard seen.insert(path).inserted, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return true }
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "=" }).map(String.init)
            guard let keyword = words.first?.lowercased() else { continue }
            let arguments = Array(words.dropFirst()).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            if keyword == "match" { return false }
            if keyword == "include" {
                for pattern in arguments {
                    let absolute = pattern.hasPrefix("/") ? pattern : base + "/" + pattern
                    for file in expand(absolute) where !collect(file, into: &directives, seen: &seen, base: base) {
                        return false
                    }
                }
                directives.append(Directive(keyword: keyword, arguments: arguments, file: path))
                continue
            }
            directives.append(Directive(keyword: keyword, arguments: arguments, file: path))
        }
        return true
    }

    static func expand(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }

    /// The value sshd uses for a keyword: the first one given.
    func first(_ keyword: String) -> Directive? {
        directives.first { $0.keyword == keyword.lowercased() }
    }

    /// Ports sshd listens on: every `Port` line (sshd accepts several), 22 when none.
    var ports: [Int] {
        let ports = directives.filter { $0.keyword == "port" }.compactMap { $0.arguments.first.flatMap { Int($0) } }
        return ports.isEmpty ? [22] : ports
    }

    /// `AuthorizedKeysFile` patterns (relative ones are under the home folder).
    var authorizedKeysFiles: [String] {
        first("AuthorizedKeysFile")?.arguments ?? [".ssh/authorized_keys", ".ssh/authorized_keys2"]
    }

    /// Whether an `Include` in the global section of `main` pulls in `file`.
    static func includes(main: String, file: String) -> Bool {
        guard let text = try? String(contentsOfFile: main, encoding: .utf8) else { return false }
        let base = (main as NSString).deletingLastPathComponent
        for raw in text.split(separator: "\n") {
            let words = raw.trimmingCharacters(in: .whitespaces).split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let keyword = words.first?.lowercased() else { continue }
            if keyword == "match" { return false }
            guard keyword == "include" else { continue }
            for pattern in words.dropFirst() {
                let absolute = pattern.hasPrefix("/") ? pattern : base + "/" + pattern
                if fnmatch(absolute, file, FNM_PATHNAME) == 0 { return true }
            }
        }
        return false
    }
}
