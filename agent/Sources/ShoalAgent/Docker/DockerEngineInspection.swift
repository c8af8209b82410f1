import Foundation
import ShoalCore

/// What a `docker_engine` step finds on the node, read without changing anything:
/// package states (dpkg-query), the docker group (getent), the service (systemctl) and,
/// for the upstream source, the apt key and sources entry.
///
/// A plain value so the planning logic (`DockerEnginePlan`) can be tested from any state.
public struct DockerEngineInspection: Sendable, Equatable {
    /// Package name → installed (dpkg status "install ok installed").
    public var packages: [String: Bool]
    /// Members of the `docker` group; nil when the group does not exist.
    public var groupMembers: [String]?
    /// Users asked for that exist on the node (getent passwd).
    public var existingUsers: Set<String>
    /// Whether systemd is PID 1 (`/run/systemd/system` exists), so `is-active` means anything.
    public var systemdRunning: Bool
    /// `systemctl is-enabled docker.service` output ("enabled", "disabled", "not-found"...); nil if it could not run.
    public var serviceEnabled: String?
    /// `systemctl is-active docker.service` output ("active", "inactive"...); nil when systemd is not running.
    public var serviceActive: String?
    /// Upstream only: whether the apt key file is present.
    public var upstreamKeyPresent: Bool
    /// Upstream only: the current content of the sources file; nil when absent.
    public var upstreamSourcesEntry: String?
    /// Upstream only: the sources entry this node needs (from os-release and dpkg's architecture); nil when not Debian/Ubuntu.
    public var wantedSourcesEntry: String?

    public init(packages: [String: Bool], groupMembers: [String]?, existingUsers: Set<String>, systemdRunning: Bool, serviceEnabled: String?, serviceActive: String?, upstreamKeyPresent: Bool = false, upstreamSourcesEntry: String? = nil, wantedSourcesEntry: String? = nil) {
        self.packages = packages
        self.groupMembers = groupMembers
        self.existingUsers = existingUsers
        self.systemdRunning = systemdRunning
        self.serviceEnabled = serviceEnabled
        self.serviceActive = serviceActive
        self.upstreamKeyPresent = upstreamKeyPresent
        self.upstreamSourcesEntry = upstreamSourcesEntry
        self.wantedSourcesEntry = wantedSourcesEntry
    }

    public static let service = "docker.service"
    public static let upstreamKeyPath = "/etc/apt/keyrings/docker.asc"
    public static let upstreamSourcesPath = "/etc/apt/sources.list.d/docker.list"

    /// Reads the node. `outputPrefix` names where the inspecting commands' output goes.
    public static func inspect(source: DockerEngineSource, users: [String], outputPrefix: String) async -> DockerEngineInspection {
        let commands = DockerEngineCommands(outputPrefix: outputPrefix)
        let packageNames = source.packages
        var packages = Dictionary(uniqueKeysWithValues: packageNames.map { ($0, false) })
        let query = await commands.run("dpkg-query", ["-W", "-f=${Package}\t${Status}\n"] + packageNames, label: "dpkg-query")
        for line in query.stdout.split(separator: "\n") {
            let fields = line.split(separator: "\t", maxSplits: 1).map(String.init)
            if fields.count == 2, packages[fields[0]] != nil {
                packages[fields[0]] = fields[1] == "install ok installed"
            }
        }
        let group = await commands.run("getent", ["group", "docker"], label: "getent-group")
        var groupMembers: [String]?
        if group.exitCode == 0 {
            let line = group.stdout.split(separator: "\n").first.map(String.init) ?? ""
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            groupMembers = fields.count >= 4 ? fields[3].split(separator: ",").map(String.init) : []
        }
        var existingUsers = Set<String>()
        for user in users where await commands.run("getent", ["passwd", user], label: "getent-passwd").exitCode == 0 {
            existingUsers.insert(user)
        }
        let systemdRunning = FileManager.default.fileExists(atPath: "/run/systemd/system")
        let enabled = await commands.run("systemctl", ["is-enabled", service], label: "is-enabled")
        var active: String?
        if systemdRunning {
            active = await commands.run("systemctl", ["is-active", service], label: "is-active").firstLine
        }
        var inspection = DockerEngineInspection(
            packages: packages, groupMembers: groupMembers, existingUsers: existingUsers, systemdRunning: systemdRunning,
            serviceEnabled: enabled.launched ? enabled.firstLine : nil, serviceActive: active
        )
        if source == .upstream {
            inspection.upstreamKeyPresent = FileManager.default.fileExists(atPath: upstreamKeyPath)
            inspection.upstreamSourcesEntry = try? String(contentsOfFile: upstreamSourcesPath, encoding: .utf8)
            let architecture = await commands.run("dpkg", ["--print-architecture"], label: "dpkg-arch").firstLine
            let release = (try? String(contentsOfFile: "/etc/os-release", encoding: .utf8)) ?? ""
            inspection.wantedSourcesEntry = upstreamSourcesEntry(osRelease: release, architecture: architecture)
        }
        return inspection
    }

    /// Docker's documented apt line for this distribution, or nil when Docker publishes none for it.
    public static func upstreamSourcesEntry(osRelease: String, architecture: String?) -> String? {
        var values: [String: String] = [:]
        for line in osRelease.split(separator: "\n") {
            let pair = line.split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2 { values[pair[0]] = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"'")) }
        }
        guard let id = values["ID"], ["debian", "ubuntu"].contains(id),
              let codename = values["VERSION_CODENAME"] ?? values["UBUNTU_CODENAME"], !codename.isEmpty,
              let architecture, !architecture.isEmpty else { return nil }
        return "deb [arch=\(architecture) signed-by=\(upstreamKeyPath)] https://download.docker.com/linux/\(id) \(codename) stable\n"
    }
}
