import Foundation
import ShoalCore

/// Reads what dpkg has installed and what apt would install, for the `apt` step.
struct AptPackages {
    var tool: SystemCommand

    struct Plan {
        struct Install { var name: String; var version: String?; var from: String?; var to: String?
            var argument: String { version.map { "\(name)=\($0)" } ?? name } }
        var install: [Install] = []
        var remove: [String] = []
        var unknown: [String] = []
        var isEmpty: Bool { install.isEmpty && remove.isEmpty }
        var summary: String {
            var parts: [String] = []
            let fresh = install.filter { $0.from == nil }, upgrades = install.filter { $0.from != nil }
            if !fresh.isEmpty { parts.append("install \(fresh.map(\.argument).joined(separator: ", "))") }
            if !upgrades.isEmpty { parts.append("upgrade \(upgrades.map(\.name).joined(separator: ", "))") }
            if !remove.isEmpty { parts.append("remove \(remove.joined(separator: ", "))") }
            return parts.joined(separator: "; ")
        }
        var diff: String {
            install.map { "+ \($0.name) \($0.from.map { "\($0) -> " } ?? "")\($0.to ?? $0.version ?? "")\n" }.joined()
                + remove.map { "- \($0)\n" }.joined()
        }
    }

    /// Installed version by package name (only packages dpkg reports as installed).
    func installed(_ names: [String]) async throws -> [String: String] {
        let result = try await tool.run(["/usr/bin/dpkg-query", "-W", "-f=${Package}\t${db:Status-Abbrev}\t${Version}\n"] + names, label: "dpkg-query")
        var versions: [String: String] = [:]
        for line in result.stdout.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3, fields[1].hasPrefix("ii") else { continue }
            versions[fields[0].split(separator: ":").first.map(String.init) ?? fields[0]] = fields[2]
        }
        return versions
    }

    /// Candidate version by name from `apt-cache policy`; nil when apt knows no candidate.
    func candidates(_ names: [String]) async throws -> [String: String] {
        let result = try await tool.run(["/usr/bin/apt-cache", "policy"] + names, label: "policy")
        var candidates: [String: String] = [:]
        var current: String?
        for line in result.stdout.split(separator: "\n") {
            if !line.hasPrefix(" "), line.hasSuffix(":") {
                current = String(line.dropLast())
            } else if let name = current, line.trimmingCharacters(in: .whitespaces).hasPrefix("Candidate:") {
                let value = line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                if value != "(none)", !value.isEmpty { candidates[name] = value }
            }
        }
        return candidates
    }

    func plan(wanted: [(name: String, version: String?)], state: String) async throws -> Plan {
        let installed = try await installed(wanted.map(\.name))
        var plan = Plan()
        if state == "absent" {
            plan.remove = wanted.map(\.name).filter { installed[$0] != nil }
            return plan
        }
        let candidates = try await candidates(wanted.map(\.name))
        for package in wanted {
            let have = installed[package.name]
            if let version = package.version {
                if have != version { plan.install.append(.init(name: package.name, version: version, from: have, to: version)) }
            } else if have == nil {
                guard let candidate = candidates[package.name] else { plan.unknown.append(package.name); continue }
                plan.install.append(.init(name: package.name, version: nil, from: nil, to: candidate))
            } else if state == "latest", let candidate = candidates[package.name], candidate != have {
                plan.install.append(.init(name: package.name, version: nil, from: have, to: candidate))
            }
        }
        return plan
    }

    /// Seconds since the package lists were last refreshed (infinite when never).
    static func cacheAge(lists: String = "/var/lib/apt/lists") -> Double {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: lists)) ?? []
        // Only package indexes count: debootstrap leaves Release files but no Packages behind.
        let newest = files.filter { $0.contains("_Packages") }
            .compactMap { try? FileManager.default.attributesOfItem(atPath: lists + "/" + $0)[.modificationDate] as? Date }
            .max()
        guard let newest else { return .infinity }
        return Date().timeIntervalSince(newest)
    }
}
