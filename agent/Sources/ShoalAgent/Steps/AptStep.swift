import Foundation
import ShoalCore

/// `apt`: Debian packages `present`, `absent` or `latest`, optionally pinned (`name=version`).
/// Non-interactive, keeps existing config files, waits for the dpkg lock up to a bound, and
/// refreshes the package lists only when they are older than `cacheMaxAgeSeconds` and
/// something needs installing.
public struct AptStep: Step {
    public static let kind = "apt"

    struct Params: Codable {
        var packages: [String]
        var state: String?
        var updateCache: Bool?
        var cacheMaxAgeSeconds: Int?
        var lockTimeoutSeconds: Int?
        var installRecommends: Bool?
    }

    let params: Params
    let wanted: [(name: String, version: String?)]
    let state: String

    public init(spec: StepSpec) throws {
        let params = try spec.decodeParams(Params.self)
        guard !params.packages.isEmpty else {
            throw ShoalError(.stepInvalid, "apt step '\(spec.displayName)' lists no packages")
        }
        let state = params.state ?? "present"
        guard ["present", "absent", "latest"].contains(state) else {
            throw ShoalError(.stepInvalid, "apt step '\(spec.displayName)': state must be present, absent or latest, not '\(state)'")
        }
        var wanted: [(name: String, version: String?)] = []
        for item in params.packages {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let name = parts.first ?? ""
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "+-.:".contains($0) }), !name.hasPrefix("-") else {
                throw ShoalError(.stepInvalid, "apt step '\(spec.displayName)': '\(item)' is not a package name")
            }
            wanted.append((name, parts.count > 1 ? parts[1] : nil))
        }
        if state == "latest", wanted.contains(where: { $0.version != nil }) {
            throw ShoalError(.stepInvalid, "apt step '\(spec.displayName)': a pinned version contradicts state latest")
        }
        self.params = params
        self.wanted = wanted
        self.state = state
    }

    public func apply(in context: StepContext) async -> StepOutcome { await run(in: context, applying: true) }
    public func check(in context: StepContext) async -> StepOutcome { await run(in: context, applying: false) }

    func run(in context: StepContext, applying: Bool) async -> StepOutcome {
        guard let aptGet = SystemCommand.locate("apt-get"), SystemCommand.locate("dpkg-query") != nil else {
            return .failed(ShoalError(.aptUnavailable, "apt-get is not on this node; the apt step needs Debian or Ubuntu"))
        }
        var timeout = Duration.seconds(1800)
        if let remaining = context.remaining { timeout = min(timeout, remaining) }
        let tool = SystemCommand(outputPrefix: context.outputPrefix, timeout: timeout)
        let lock = "DPkg::Lock::Timeout=\(params.lockTimeoutSeconds ?? 300)"
        do {
            let packages = AptPackages(tool: tool)
            var refreshed = false
            if state == "latest" || state == "present", applying, params.updateCache != false, AptPackages.cacheAge() > Double(params.cacheMaxAgeSeconds ?? 3600) {
                // Only pay for a refresh when something might be installed.
                let installed = try await packages.installed(wanted.map(\.name))
                let needsWork = wanted.contains { package in
                    installed[package.name] == nil || (package.version != nil && installed[package.name] != package.version)
                }
                if state == "latest" || needsWork {
                    try await tool.require(["/usr/bin/env", "DEBIAN_FRONTEND=noninteractive", aptGet, "update", "-q", "-o", lock], label: "update", code: .aptFailed, doing: "refreshing the package lists")
                    refreshed = true
                }
            }
            var plan = try await packages.plan(wanted: wanted, state: state)
            if !plan.unknown.isEmpty, applying, !refreshed, params.updateCache != false {
                // Fresh lists can still miss a repository an earlier step just added: refresh once.
                try await tool.require(["/usr/bin/env", "DEBIAN_FRONTEND=noninteractive", aptGet, "update", "-q", "-o", lock], label: "update", code: .aptFailed, doing: "refreshing the package lists")
                refreshed = true
                plan = try await packages.plan(wanted: wanted, state: state)
            }
            if let unknown = plan.unknown.first, !applying, params.updateCache != false, AptPackages.cacheAge() > Double(params.cacheMaxAgeSeconds ?? 3600) {
                // Apply would refresh the lists first; until then apt cannot say what exists.
                return StepOutcome(status: .unknown, message: "would refresh the package lists first (they are stale or missing), so it cannot tell yet whether '\(unknown)' exists; would then \(plan.isEmpty ? "install \(plan.unknown.joined(separator: ", "))" : plan.summary + "; install " + plan.unknown.joined(separator: ", "))")
            }
            if let unknown = plan.unknown.first {
                throw ShoalError(.aptPackageNotFound, "package '\(unknown)' is not known to apt on this node\(refreshed ? "" : " (package lists not refreshed)"); check the name or add its repository first")
            }
            guard !plan.isEmpty else {
                return StepOutcome(status: .unchanged, message: "\(wanted.map(\.name).joined(separator: ", ")) \(state == "absent" ? "absent" : "installed")\(state == "latest" ? " at the newest version" : "")")
            }
            guard applying else {
                return StepOutcome(status: .changed, message: "would " + plan.summary, diff: plan.diff)
            }
            var argv = ["/usr/bin/env", "DEBIAN_FRONTEND=noninteractive", aptGet, "-y", "-q", "-o", lock,
                        "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold"]
            if params.installRecommends == false { argv.append("--no-install-recommends") }
            if !plan.install.isEmpty {
                try await require(tool, argv + ["install"] + plan.install.map(\.argument), label: "install", doing: "installing \(plan.install.map(\.name).joined(separator: ", "))")
            }
            if !plan.remove.isEmpty {
                try await require(tool, argv + ["remove"] + plan.remove, label: "remove", doing: "removing \(plan.remove.joined(separator: ", "))")
            }
            return StepOutcome(status: .changed, message: plan.summary, diff: plan.diff)
        } catch let error as ShoalError {
            return .failed(error)
        } catch {
            return .failed(ShoalError(.aptFailed, "\(error)"))
        }
    }

    func require(_ tool: SystemCommand, _ argv: [String], label: String, doing what: String) async throws {
        let result = try await tool.run(argv, label: label)
        guard !result.succeeded else { return }
        if result.stderr.contains("Unable to locate package") || result.stderr.contains("has no installation candidate") {
            throw ShoalError(.aptPackageNotFound, "\(what) failed: \(result.complaint); nothing was installed — check the package name or add its repository")
        }
        if result.stderr.contains("Could not get lock") || result.stderr.contains("lock-frontend") {
            throw ShoalError(.aptLocked, "\(what) failed: another apt/dpkg held the lock for \(params.lockTimeoutSeconds ?? 300)s; wait for it (unattended-upgrades?) and re-run")
        }
        throw ShoalError(.aptFailed, "\(what) failed: \(result.complaint)")
    }
}

extension ShoalError.Code {
    public static let aptUnavailable: Self = "apt.unavailable"
    public static let aptFailed: Self = "apt.failed"
    public static let aptPackageNotFound: Self = "apt.package_not_found"
    public static let aptLocked: Self = "apt.locked"
}
