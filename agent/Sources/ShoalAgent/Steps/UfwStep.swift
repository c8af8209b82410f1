import Foundation
import ShoalCore

/// `ufw`: default policies, incoming port rules and on/off for the ufw firewall, made so with
/// the `ufw` command and judged from ufw's own files. Rules not listed stay unless
/// `purge: true`. It will not turn on a default-deny firewall that has no rule letting SSH
/// in (the operator's way back) unless told `allowNoSsh: true`, nor a default-deny outgoing
/// policy with no rule letting the agent reach its coordinator unless told
/// `allowNoCoordinator: true`. If a ufw command fails, the
/// files are put back and ufw reloaded, so the firewall is as it was.
public struct UfwStep: Step {
    public static let kind = "ufw"

    struct Params: Codable {
        var defaultIncoming: String?
        var defaultOutgoing: String?
        var rules: [UfwRuleSpec]?
        var enabled: Bool?
        var purge: Bool?
        var allowNoSsh: Bool?
        var allowNoCoordinator: Bool?
    }

    /// Where ufw and sshd's config live; tests give ufw a `--datadir` copy.
    struct Paths: Sendable {
        var ufw = "/usr/sbin/ufw"
        /// nil: the real /etc (no `--datadir`).
        var datadir: String?
        var sshdConfig = "/etc/ssh/sshd_config"
    }

    let params: Params
    let name: String
    var paths = Paths()

    public init(spec: StepSpec) throws {
        let params = try spec.decodeParams(Params.self)
        let label = "ufw step '\(spec.displayName)'"
        for policy in [params.defaultIncoming, params.defaultOutgoing].compactMap({ $0 }) where !["deny", "allow", "reject"].contains(policy) {
            throw ShoalError(.stepInvalid, "\(label): default policy must be deny, allow or reject, not '\(policy)'")
        }
        for rule in params.rules ?? [] { try rule.validate(label: label) }
        self.params = params
        self.name = spec.displayName
    }

    init(spec: StepSpec, paths: Paths) throws {
        try self.init(spec: spec)
        self.paths = paths
    }

    public func apply(in context: StepContext) async -> StepOutcome {
        await run(in: context, applying: true)
    }

    public func check(in context: StepContext) async -> StepOutcome {
        await run(in: context, applying: false)
    }

    var files: UfwState.Files { UfwState.Files(datadir: paths.datadir ?? "/") }

    /// What must change, in the order it is done: rules first, so SSH is allowed before a
    /// deny policy or the firewall itself takes effect.
    struct Plan: Sendable {
        var add: [UfwRuleSpec] = []
        var delete: [UfwTuple] = []
        var defaults: [(direction: String, policy: String)] = []
        var enable: Bool?
        var lines: [String] = []
        var isEmpty: Bool { add.isEmpty && delete.isEmpty && defaults.isEmpty && enable == nil }
    }

    func plan(_ state: UfwState, coordinators: [CoordinatorAddress] = []) throws -> Plan {
        var plan = Plan()
        let wanted = params.rules ?? []
        for rule in wanted {
            if rule.source?.contains(":") == true, !state.ipv6 {
                throw ShoalError(.ufwIpv6Disabled, "rule for port \(rule.port) from \(rule.from ?? "") is IPv6 but IPV6=no in /etc/default/ufw; set IPV6=yes or use an IPv4 source")
            }
            let present = rule.tuples(ipv6Enabled: state.ipv6).allSatisfy { tuple in
                state.rules.contains { $0.sameRule(as: tuple) && (tuple.comment == nil || $0.comment == tuple.comment) }
            }
            if !present {
                plan.add.append(rule)
                plan.lines.append("add rule " + rule.addWords.joined(separator: " "))
            }
        }
        if params.purge == true {
            let keep = wanted.flatMap { $0.tuples(ipv6Enabled: state.ipv6) }
            var seen = Set<[String]>()
            for tuple in state.rules where !keep.contains(where: { $0.sameRule(as: tuple) }) {
                // ufw deletes the v4 and v6 twins of an "any" rule with one command.
                if seen.insert(tuple.commandWords).inserted {
                    plan.delete.append(tuple)
                    plan.lines.append("delete rule \(tuple.summary)")
                }
            }
        }
        if let incoming = params.defaultIncoming, incoming != state.defaultIncoming {
            plan.defaults.append(("incoming", incoming))
            plan.lines.append("set default incoming policy \(state.defaultIncoming) -> \(incoming)")
        }
        if let outgoing = params.defaultOutgoing, outgoing != state.defaultOutgoing {
            plan.defaults.append(("outgoing", outgoing))
            plan.lines.append("set default outgoing policy \(state.defaultOutgoing) -> \(outgoing)")
        }
        if let enabled = params.enabled, enabled != state.enabled {
            plan.enable = enabled
            plan.lines.append(enabled ? "enable ufw" : "disable ufw")
        }
        try refuseLockout(state, plan)
        try refuseCoordinatorCutOff(state, plan, coordinators: coordinators)
        return plan
    }

    func run(in context: StepContext, applying: Bool) async -> StepOutcome {
        do {
            guard FileManager.default.isExecutableFile(atPath: paths.ufw) else {
                throw ShoalError(.ufwNotInstalled, "ufw is not installed (no \(paths.ufw)); add an apt step for ufw first")
            }
            let before = try UfwState.read(files)
            let plan = try plan(before, coordinators: context.coordinators)
            guard !plan.isEmpty else {
                return StepOutcome(status: .unchanged, message: "ufw is as wanted (\(before.enabled ? "enabled" : "disabled"), incoming \(before.defaultIncoming), \(before.rules.count) rule entries)")
            }
            guard applying else {
                return StepOutcome(status: .changed, message: plan.lines.map { "would " + $0 }.joined(separator: "\n"), diff: plan.lines.map { "# \($0)\n" }.joined())
            }
            let saved = try files.all.map(FileSnapshot.init)
            do {
                try await carryOut(plan, context: context)
            } catch {
                await restore(saved, wasEnabled: before.enabled, triedEnable: plan.enable == true, context: context)
                throw error
            }
            let after = try UfwState.read(files)
            let diff = describe(before: before, after: after) + plan.lines.map { "# \($0)\n" }.joined()
            // ufw answers "Could not delete non-existent rule" with status 0; the files are the truth.
            if let leftover = try? self.plan(after, coordinators: context.coordinators), !leftover.isEmpty {
                return StepOutcome(status: .failed, errorCode: .ufwCommandFailed, message: "ufw commands ran but the rules still differ: " + leftover.lines.joined(separator: "; "), diff: diff)
            }
            return StepOutcome(status: .changed, message: plan.lines.joined(separator: "; "), diff: diff)
        } catch let error as ShoalError {
            return .failed(error)
        } catch {
            return .failed(ShoalError(.ufwCommandFailed, "\(error)"))
        }
    }

    private func ufw(_ words: [String]) -> [String] {
        [paths.ufw] + (paths.datadir.map { ["--datadir=\($0)"] } ?? []) + words
    }

    private func carryOut(_ plan: Plan, context: StepContext) async throws {
        let tools = SystemCommand(outputPrefix: context.outputPrefix)
        for (index, rule) in plan.add.enumerated() {
            try await tools.require(ufw(rule.addWords), label: "ufw-add-\(index)", code: .ufwCommandFailed, doing: "adding a ufw rule")
        }
        for (index, tuple) in plan.delete.enumerated() {
            try await tools.require(ufw(["--force", "delete"] + tuple.commandWords), label: "ufw-delete-\(index)", code: .ufwCommandFailed, doing: "deleting a ufw rule")
        }
        for change in plan.defaults {
            try await tools.require(ufw(["default", change.policy, change.direction]), label: "ufw-default-\(change.direction)", code: .ufwCommandFailed, doing: "setting the default \(change.direction) policy")
        }
        if let enable = plan.enable {
            try await tools.require(ufw(enable ? ["--force", "enable"] : ["disable"]), label: "ufw-enable", code: .ufwCommandFailed, doing: enable ? "enabling ufw" : "disabling ufw")
        }
    }

    /// Puts ufw's files back and makes the running firewall match them again.
    private func restore(_ saved: [FileSnapshot], wasEnabled: Bool, triedEnable: Bool, context: StepContext) async {
        for snapshot in saved { snapshot.restore() }
        let tools = SystemCommand(outputPrefix: context.outputPrefix)
        if wasEnabled {
            _ = try? await tools.run(ufw(["reload"]), label: "ufw-restore")
        } else if triedEnable {
            _ = try? await tools.run(ufw(["disable"]), label: "ufw-restore")
        }
    }

    /// A diff-like report of the ufw state before and after.
    func describe(before: UfwState, after: UfwState) -> String {
        func text(_ state: UfwState) -> String {
            "enabled: \(state.enabled)\ndefault incoming: \(state.defaultIncoming)\ndefault outgoing: \(state.defaultOutgoing)\n"
                + state.rules.map { "rule: \($0.summary)\n" }.joined()
        }
        return UnifiedDiff.make(old: text(before), new: text(after), oldLabel: "ufw (before)", newLabel: "ufw (after)")
    }
}

extension ShoalError.Code {
    public static let ufwNotInstalled: Self = "ufw.not_installed"
    public static let ufwWouldLockOut: Self = "ufw.would_lock_out"
    public static let ufwCommandFailed: Self = "ufw.command_failed"
    public static let ufwIpv6Disabled: Self = "ufw.ipv6_disabled"
}
