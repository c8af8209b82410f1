import Foundation
import ShoalCore

/// The shipped role profiles (`coordinator/profiles/*.yaml`): reusable task files found by
/// name. Looked up, in order, in `$SHOAL_PROFILE_DIR`, `/etc/shoal/profiles` (local
/// additions and overrides), the package's `/usr/share/shoal/profiles`, next to the binary
/// (`../share/shoal/profiles`), and the source tree (for development).
public struct ProfileLibrary: Sendable {
    public var directories: [String]

    public init(directories: [String]? = nil) {
        if let directories {
            self.directories = directories
            return
        }
        var found: [String] = []
        if let custom = ProcessInfo.processInfo.environment["SHOAL_PROFILE_DIR"], !custom.isEmpty { found.append(custom) }
        found += ["/etc/shoal/profiles", "/usr/share/shoal/profiles"]
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        found.append(executable.appendingPathComponent("../share/shoal/profiles").standardized.path)
        // .../coordinator/Sources/ShoalCoordinator/Tasks/ProfileLibrary.swift -> .../coordinator/profiles
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../profiles").standardized.path
        found.append(source)
        self.directories = found
    }

    public struct Profile: Sendable {
        public var name: String
        public var path: String
        public var description: String
    }

    /// The file of a profile; `task.invalid` naming the known ones when there is none.
    public func path(of name: String) throws -> String {
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw ShoalError(.invalidArgument, "'\(name)' is not a profile name (letters, digits, - and _)")
        }
        for directory in directories {
            let candidate = directory + "/" + name + ".yaml"
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        let known = list().map(\.name).joined(separator: ", ")
        throw ShoalError(.invalidArgument, "no profile named '\(name)' (known: \(known.isEmpty ? "none found in " + directories.joined(separator: ", ") : known))")
    }

    /// Every profile, first directory wins for a name.
    public func list() -> [Profile] {
        var seen: [String: Profile] = [:]
        for directory in directories {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for file in names.sorted() where file.hasSuffix(".yaml") {
                let name = String(file.dropLast(5))
                guard seen[name] == nil else { continue }
                let path = directory + "/" + file
                let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                let description = (try? TaskDocument(yaml: text, source: path))?.description ?? ""
                seen[name] = Profile(name: name, path: path, description: description)
            }
        }
        return seen.values.sorted { $0.name < $1.name }
    }
}
