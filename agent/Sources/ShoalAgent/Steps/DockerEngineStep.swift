import Foundation
import ShoalCore

/// Parameters of `docker_engine` (camelCase keys).
public struct DockerEngineStepParams: Codable, Sendable {
    /// `distro` (default: Debian/Ubuntu's `docker.io`) or `upstream` (Docker's apt repository, `docker-ce`).
    public var source: DockerEngineSource?
    /// Users to add to the `docker` group (root-equivalent: they control the daemon).
    public var users: [String]?

    public init(source: DockerEngineSource? = nil, users: [String]? = nil) {
        self.source = source
        self.users = users
    }
}

/// `docker_engine`: Docker installed from the chosen source, the `docker` group holding the
/// given users, and `docker.service` enabled and running (systemd).
///
/// Both modes start from `DockerEngineInspection` and `DockerEnginePlan`; check mode lists
/// the plan. Apply installs first, then inspects again, because the packages bring the
/// group and usually enable and start the service themselves.
public struct DockerEngineStep: Step {
    public static let kind = "docker_engine"
    public static let defaultInstallTimeout: Duration = .seconds(1800)

    let source: DockerEngineSource
    let users: [String]
    let name: String

    public init(spec: StepSpec) throws {
        let params = try spec.decodeParams(DockerEngineStepParams.self)
        let users = params.users ?? []
        if let bad = users.first(where: { $0.isEmpty || $0.hasPrefix("-") || $0.contains(where: { $0 == ":" || $0 == "," || $0.isWhitespace }) }) {
            throw ShoalError(.stepInvalid, "docker_engine step '\(spec.displayName)': '\(bad)' is not a user name")
        }
        self.source = params.source ?? .distro
        self.users = users
        self.name = spec.displayName
    }

    public func check(in context: StepContext) async -> StepOutcome {
        let inspection = await DockerEngineInspection.inspect(source: source, users: users, outputPrefix: context.outputPrefix)
        return Self.checkOutcome(DockerEnginePlan.make(source: source, users: users, inspection: inspection))
    }

    /// Check mode's answer for a plan.
    public static func checkOutcome(_ plan: DockerEnginePlan) -> StepOutcome {
        let diff = plan.isChange ? plan.text : nil
        if !plan.blockers.isEmpty {
            let would = plan.isChange ? "; would otherwise: \(plan.actions.map(\.description).joined(separator: "; "))" : ""
            return StepOutcome(status: .unknown, message: "cannot tell: \(plan.blockers.joined(separator: "; "))\(would)", diff: diff)
        }
        guard plan.isChange else {
            return StepOutcome(status: .unchanged, message: "Docker is installed, enabled and running")
        }
        return StepOutcome(status: .changed, message: "would \(plan.actions.map(\.description).joined(separator: "; "))", diff: diff)
    }

    public func apply(in context: StepContext) async -> StepOutcome {
        let commands = DockerEngineCommands(outputPrefix: context.outputPrefix)
        var done: [String] = []
        do {
            var plan = DockerEnginePlan.make(source: source, users: users, inspection: await inspect(context))
            guard plan.blockers.isEmpty else {
                throw ShoalError(.dockerEngineFailed, "\(plan.blockers.joined(separator: "; ")); nothing was changed")
            }
            var installTimeout = Self.defaultInstallTimeout
            if let remaining = context.remaining { installTimeout = min(installTimeout, remaining) }
            for action in plan.actions {
                switch action {
                case .configureUpstreamRepository(let entry):
                    let note = try await DockerUpstreamRepository(commands: commands).configure(entry: entry)
                    done.append("\(action) (\(note))")
                case .installPackages(let packages):
                    try await install(packages, commands: commands, timeout: installTimeout)
                    done.append(action.description)
                default:
                    continue
                }
            }
            if !done.isEmpty {
                plan = DockerEnginePlan.make(source: source, users: users, inspection: await inspect(context))
            }
            for action in plan.actions {
                switch action {
                case .configureUpstreamRepository, .installPackages:
                    throw ShoalError(.dockerEngineFailed, "\(action) did not take effect: dpkg still reports the packages missing; see the apt output in this step's logs")
                case .createGroup:
                    try await commands.require("groupadd", ["--system", "docker"], label: "groupadd")
                case .addUserToGroup(let user):
                    try await commands.require("usermod", ["--append", "--groups", "docker", user], label: "usermod-\(user)")
                case .enableService:
                    try await commands.require("systemctl", ["enable", DockerEngineInspection.service], label: "enable")
                case .startService:
                    try await commands.require("systemctl", ["start", DockerEngineInspection.service], label: "start", timeout: .seconds(300))
                }
                done.append(action.description)
            }
        } catch let error as ShoalError {
            let progress = done.isEmpty ? "" : " (done before the failure: \(done.joined(separator: "; ")))"
            return .failed(ShoalError(error.code, error.message + progress))
        } catch {
            return .failed(ShoalError(.dockerEngineFailed, "\(error)"))
        }
        guard !done.isEmpty else {
            return StepOutcome(status: .unchanged, message: "Docker is installed, enabled and running")
        }
        return StepOutcome(status: .changed, message: done.joined(separator: "; "), diff: done.map { "+ \($0)\n" }.joined())
    }

    func inspect(_ context: StepContext) async -> DockerEngineInspection {
        await DockerEngineInspection.inspect(source: source, users: users, outputPrefix: context.outputPrefix)
    }

    /// apt-get install; on "unable to locate" (empty or stale lists) it updates and tries once more.
    func install(_ packages: [String], commands: DockerEngineCommands, timeout: Duration) async throws {
        let environment = ["DEBIAN_FRONTEND": "noninteractive"]
        let arguments = ["-q", "-y", "-o", "Dpkg::Options::=--force-confold", "install"] + packages
        let first = await commands.run("apt-get", arguments, label: "apt-install", environment: environment, timeout: timeout)
        if first.succeeded { return }
        try await commands.require("apt-get", ["-q", "update"], label: "apt-update", environment: environment, timeout: .seconds(600))
        try await commands.require("apt-get", arguments, label: "apt-install-retry", environment: environment, timeout: timeout)
    }
}
