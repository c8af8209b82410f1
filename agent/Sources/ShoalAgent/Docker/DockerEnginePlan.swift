import ShoalCore

/// What `docker_engine` would do, worked out from an inspection alone (no side effects),
/// so check mode can list it and tests can drive it from any node state.
public struct DockerEnginePlan: Sendable, Equatable {
    public enum Action: Sendable, Equatable, CustomStringConvertible {
        case configureUpstreamRepository(entry: String)
        case installPackages([String])
        case createGroup
        case addUserToGroup(String)
        case enableService
        case startService

        public var description: String {
            switch self {
            case .configureUpstreamRepository(let entry): "add Docker's apt key \(DockerEngineInspection.upstreamKeyPath) and source \(DockerEngineInspection.upstreamSourcesPath): \(entry.trimmingCharacters(in: .whitespacesAndNewlines))"
            case .installPackages(let packages): "install packages: \(packages.joined(separator: " "))"
            case .createGroup: "create group docker"
            case .addUserToGroup(let user): "add user \(user) to group docker"
            case .enableService: "enable \(DockerEngineInspection.service)"
            case .startService: "start \(DockerEngineInspection.service)"
            }
        }
    }

    public var actions: [Action]
    /// Why the outcome cannot be known (check mode) or the step cannot run (apply): missing
    /// users, no systemd, an unsupported distribution for the upstream source.
    public var blockers: [String]

    public var isChange: Bool { !actions.isEmpty }

    public static func make(source: DockerEngineSource, users: [String], inspection: DockerEngineInspection) -> DockerEnginePlan {
        var actions: [Action] = []
        var blockers: [String] = []
        let missing = source.packages.filter { inspection.packages[$0] != true }
        let installing = !missing.isEmpty
        if installing, source == .upstream {
            if let entry = inspection.wantedSourcesEntry {
                if !inspection.upstreamKeyPresent || inspection.upstreamSourcesEntry != entry {
                    actions.append(.configureUpstreamRepository(entry: entry))
                }
            } else {
                blockers.append("Docker's upstream repository serves Debian and Ubuntu only, and this node's /etc/os-release or architecture is not one of them; use source: distro")
            }
        }
        if installing { actions.append(.installPackages(missing)) }
        // The packages create the group themselves; create it only on a node that has them without it.
        if inspection.groupMembers == nil, !installing { actions.append(.createGroup) }
        let members = Set(inspection.groupMembers ?? [])
        for user in users where !members.contains(user) {
            if inspection.existingUsers.contains(user) {
                actions.append(.addUserToGroup(user))
            } else {
                blockers.append("user \(user) does not exist on this node; add a user step before this one")
            }
        }
        if !inspection.systemdRunning {
            blockers.append("systemd is not running on this node (PID 1 is not systemd), so the docker service cannot be enabled or started")
        }
        if installing || inspection.serviceEnabled != "enabled" { actions.append(.enableService) }
        if installing || (inspection.systemdRunning && inspection.serviceActive != "active") { actions.append(.startService) }
        return DockerEnginePlan(actions: actions, blockers: blockers)
    }

    /// The actions as lines, for check mode's diff.
    public var text: String { actions.map { "+ \($0)\n" }.joined() }
}
