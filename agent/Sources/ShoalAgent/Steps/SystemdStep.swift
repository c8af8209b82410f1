import Foundation
import ShoalCore

/// `systemd`: a unit (its file content optional), enabled or not, and its state: `started`,
/// `stopped`, `restarted` or `reloaded`. `daemon-reload` runs only when the unit file changed,
/// and a changed unit file restarts a running service so the new definition takes effect.
/// As a handler (`notify`), `state: restarted` restarts only when a step changed something.
public struct SystemdStep: Step {
    public static let kind = "systemd"

    struct Params: Codable {
        var unit: String
        var content: String?
        var sourceSHA256: String?
        var enabled: Bool?
        var state: String?
        /// How long a started service must stay up to count as started.
        var settleSeconds: Int?
    }

    let params: Params
    let unit: String
    let name: String

    public init(spec: StepSpec) throws {
        let params = try spec.decodeParams(Params.self)
        let unit = params.unit.contains(".") ? params.unit : params.unit + ".service"
        guard !unit.contains("/"), !unit.hasPrefix("-") else {
            throw ShoalError(.stepInvalid, "systemd step '\(spec.displayName)': '\(params.unit)' is not a unit name")
        }
        if let state = params.state, !["started", "stopped", "restarted", "reloaded"].contains(state) {
            throw ShoalError(.stepInvalid, "systemd step '\(spec.displayName)': state must be started, stopped, restarted or reloaded, not '\(state)'")
        }
        guard params.content == nil || params.sourceSHA256 == nil else {
            throw ShoalError(.stepInvalid, "systemd step '\(spec.displayName)': give 'content' or 'source', not both")
        }
        self.params = params
        self.unit = unit
        self.name = spec.displayName
    }

    var unitPath: String { "/etc/systemd/system/" + unit }

    public func apply(in context: StepContext) async -> StepOutcome { await run(in: context, applying: true) }
    public func check(in context: StepContext) async -> StepOutcome { await run(in: context, applying: false) }

    func run(in context: StepContext, applying: Bool) async -> StepOutcome {
        guard let systemctl = SystemCommand.locate("systemctl"), FileManager.default.fileExists(atPath: "/run/systemd/system") else {
            return .failed(ShoalError(.systemdUnavailable, "systemd is not running on this node (no /run/systemd/system); the systemd step needs systemd as PID 1"))
        }
        let tool = SystemCommand(outputPrefix: context.outputPrefix)
        var changes: [String] = []
        var diff = ""
        do {
            var unitChanged = false
            if let content = try unitContent(in: context) {
                let file = ManagedFile(path: unitPath, content: content, mode: 0o644, sensitive: context.sensitive)
                let plan = applying ? try file.apply() : try file.plan()
                unitChanged = plan.isChange
                diff += plan.diff
                // A run that wrote the file but failed before daemon-reload left systemd on the
                // old definition: the file alone no longer tells, systemd does.
                let stale = try await tool.run([systemctl, "show", unit, "-p", "NeedDaemonReload", "--value"], label: "need-reload").stdout.hasPrefix("yes")
                if !unitChanged, stale {
                    unitChanged = true
                    changes.append("reload systemd (\(unitPath) is newer than the loaded unit)")
                    if applying { try await tool.require([systemctl, "daemon-reload"], label: "daemon-reload", code: .systemdFailed, doing: "daemon-reload") }
                }
                if plan.isChange {
                    changes.append(plan.createsFile ? "install \(unitPath)" : "update \(unitPath)")
                    if applying { try await tool.require([systemctl, "daemon-reload"], label: "daemon-reload", code: .systemdFailed, doing: "daemon-reload") }
                }
            }
            if let enabled = params.enabled {
                let now = try await tool.run([systemctl, "is-enabled", unit], label: "is-enabled").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                let isEnabled = ["enabled", "enabled-runtime", "alias", "static", "indirect", "generated"].contains(now)
                // static/indirect/generated units have no [Install] to undo: nothing to disable.
                let cannotDisable = ["static", "indirect", "generated", "alias"].contains(now)
                if enabled != isEnabled, !(enabled == false && cannotDisable) {
                    changes.append(enabled ? "enable \(unit)" : "disable \(unit)")
                    if applying { try await tool.require([systemctl, enabled ? "enable" : "disable", unit], label: "enable", code: .systemdFailed, doing: "enabling \(unit)") }
                }
            }
            if let state = params.state {
                let active = try await tool.run([systemctl, "is-active", unit], label: "is-active").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "active"
                let verb: String? = switch state {
                case "started": active ? (unitChanged ? "restart" : nil) : "start"
                case "stopped": active ? "stop" : nil
                case "restarted": "restart"
                default: active ? "reload" : "start"
                }
                if let verb {
                    changes.append("\(verb) \(unit)")
                    if applying {
                        try await tool.require([systemctl, verb, unit], label: verb, code: .systemdFailed, doing: "\(verb) \(unit)")
                        if verb != "stop" { try await confirmRunning(systemctl: systemctl, tool: tool) }
                    }
                }
            }
        } catch let error as ShoalError {
            return StepOutcome(status: .failed, errorCode: error.code, message: error.message, diff: diff.isEmpty ? nil : diff)
        } catch {
            return .failed(ShoalError(.systemdFailed, "\(unit): \(error)"))
        }
        guard !changes.isEmpty else { return StepOutcome(status: .unchanged, message: "\(unit) is as wanted") }
        diff += changes.map { "# \($0)\n" }.joined()
        return StepOutcome(status: .changed, message: (applying ? "" : "would ") + changes.joined(separator: ", "), diff: diff)
    }

    func unitContent(in context: StepContext) throws -> Data? {
        if let content = params.content { return Data(content.utf8) }
        if let sha = params.sourceSHA256 { return try context.file(sha, for: name) }
        return nil
    }

    /// A service that starts and dies a moment later is a failed start, not a success.
    func confirmRunning(systemctl: String, tool: SystemCommand) async throws {
        try await Task.sleep(for: .seconds(params.settleSeconds ?? 1))
        let state = try await tool.run([systemctl, "is-active", unit], label: "verify").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        if state == "active" || state == "reloading" { return }
        // A oneshot service without RemainAfterExit is inactive once it finished well.
        let show = try await tool.run([systemctl, "show", unit, "-p", "Type", "-p", "Result"], label: "show").stdout
        if show.contains("Type=oneshot"), show.contains("Result=success") { return }
        let journal = (try? await tool.run(["/usr/bin/journalctl", "-u", unit, "-n", "15", "--no-pager", "-o", "cat"], label: "journal").stdout) ?? ""
        throw ShoalError(.systemdStartFailed, "\(unit) is \(state) after starting; its last log lines: \(journal.split(separator: "\n").suffix(5).joined(separator: " | ")); fix the unit and re-run")
    }
}

extension ShoalError.Code {
    public static let systemdUnavailable: Self = "systemd.unavailable"
    public static let systemdFailed: Self = "systemd.failed"
    public static let systemdStartFailed: Self = "systemd.start_failed"
}
