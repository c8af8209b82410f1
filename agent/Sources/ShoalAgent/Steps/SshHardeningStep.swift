import Foundation
import ShoalCore
#if canImport(Glibc)
import Glibc
#endif

/// `ssh_hardening`: the playbook's SSH baseline — keys only, no root password login, no X11
/// forwarding, optional AllowUsers and MaxAuthTries — as a drop-in sshd reads before the
/// main config. The new config is validated with `sshd -t` and its effect confirmed with
/// `sshd -T` before sshd is reloaded; on any failure the old files are put back. Refuses
/// outright when nobody who stays allowed to log in has an authorized key.
public struct SshHardeningStep: Step {
    public static let kind = "ssh_hardening"

    struct Params: Codable {
        var permitRootLogin: String?
        var allowUsers: [String]?
        var maxAuthTries: Int?
    }

    /// Where things are; the defaults are a Debian/Ubuntu node, tests point them at copies.
    struct Paths: Sendable {
        var mainConfig = "/etc/ssh/sshd_config"
        var dropIn = "/etc/ssh/sshd_config.d/50-shoal-hardening.conf"
        var sshd = "/usr/sbin/sshd"
        /// Root of the account files and homes used for the lock-out check.
        var accountsRoot = "/"
        /// sshd -t refuses to run without it; Debian's unit creates it, so may we.
        var privilegeSeparationDirectory = "/run/sshd"
        /// Commands tried in order to reload sshd; nil: systemctl on ssh.service, then sshd.service.
        var reload: [String]?
    }

    let params: Params
    let name: String
    var paths = Paths()

    public init(spec: StepSpec) throws {
        let params = try spec.decodeParams(Params.self)
        let label = "ssh_hardening step '\(spec.displayName)'"
        guard ["no", "prohibit-password"].contains(params.permitRootLogin ?? "no") else {
            throw ShoalError(.stepInvalid, "\(label): permitRootLogin must be no or prohibit-password, not '\(params.permitRootLogin ?? "")'")
        }
        if let tries = params.maxAuthTries, !(1...100).contains(tries) {
            throw ShoalError(.stepInvalid, "\(label): maxAuthTries \(tries) must be between 1 and 100")
        }
        if let users = params.allowUsers {
            guard !users.isEmpty else {
                throw ShoalError(.stepInvalid, "\(label): allowUsers is empty, which would let nobody in; leave it out or name users")
            }
            for user in users where user.isEmpty || user.contains(where: { $0.isWhitespace || $0 == "\"" }) {
                throw ShoalError(.stepInvalid, "\(label): allowUsers entry '\(user)' must be one user (or user@host) without blanks")
            }
        }
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

    var permitRootLogin: String { params.permitRootLogin ?? "no" }

    /// The drop-in: every setting on its own line, as `sshd -T` names them.
    var dropInContent: String {
        var lines = [
            "# Managed by Shoal (step '\(name)'); changes made here are overwritten.",
            "# Key-only logins, no root password login: the provisioning baseline.",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitEmptyPasswords no",
            "PermitRootLogin \(permitRootLogin)",
            "X11Forwarding no",
        ]
        if let tries = params.maxAuthTries { lines.append("MaxAuthTries \(tries)") }
        if let users = params.allowUsers { lines.append("AllowUsers " + users.joined(separator: " ")) }
        return lines.joined(separator: "\n") + "\n"
    }

    var dropInDirectory: String { (paths.dropIn as NSString).deletingLastPathComponent }

    func run(in context: StepContext, applying: Bool) async -> StepOutcome {
        do {
            guard FileManager.default.isExecutableFile(atPath: paths.sshd), try PathState.read(paths.mainConfig).kind == .file else {
                throw ShoalError(.sshNotInstalled, "sshd (\(paths.sshd)) or its config \(paths.mainConfig) is missing; add an apt step for openssh-server first")
            }
            let mainFile = try includeFix(sensitive: context.sensitive)
            let dropIn = ManagedFile(path: paths.dropIn, content: Data(dropInContent.utf8), owner: "root", group: "root", mode: 0o644, sensitive: context.sensitive)
            let folderMissing = try PathState.read(dropInDirectory).kind == .absent
            let dropInDiff = folderMissing
                ? "# new folder \(dropInDirectory)\n" + ContentDiff.describe(old: Data(), new: Data(dropInContent.utf8), path: paths.dropIn, creating: true, hidden: context.sensitive)
                : try dropIn.plan().diff
            let mainDiff = try mainFile?.plan().diff ?? ""
            guard !dropInDiff.isEmpty || !mainDiff.isEmpty else {
                return StepOutcome(status: .unchanged, message: "\(paths.dropIn) is as wanted")
            }
            let diff = mainDiff + dropInDiff
            do {
                try refuseLockout()
            } catch let error as ShoalError where !applying && error.code == .sshLockout {
                // In check mode an earlier step (a user step with keys) may be about to fix this.
                return StepOutcome(status: .unknown, errorCode: error.code, message: "would write \(paths.dropIn) only if a user has a key by then; right now: \(error.message)", diff: diff)
            }
            var what = ["write \(paths.dropIn)"]
            if mainFile != nil { what.insert("add an Include of \(dropInDirectory) to \(paths.mainConfig)", at: 0) }
            guard applying else {
                return StepOutcome(status: .changed, message: what.map { "would " + $0 }.joined(separator: "; ") + "; would validate with sshd -t and reload sshd", diff: diff)
            }
            let saved = try [FileSnapshot(paths.mainConfig), FileSnapshot(paths.dropIn)]
            do {
                if folderMissing { _ = try SafeDirectory.open(dropInDirectory, creatingMissing: 0o755) }
                try mainFile?.apply()
                try dropIn.apply()
                let tools = SystemCommand(outputPrefix: context.outputPrefix)
                let effective = try await validate(tools)
                let reloaded = try await reload(tools, ports: Self.ports(effective))
                return StepOutcome(status: .changed, message: what.joined(separator: "; ") + "; validated with sshd -t; " + reloaded, diff: diff)
            } catch {
                // The node keeps the configuration it had; sshd was not reloaded onto the new one.
                for snapshot in saved.reversed() { snapshot.restore() }
                if folderMissing, let parent = try? SafeDirectory.parent(of: dropInDirectory) { try? parent.directory?.removeDirectory(parent.name) }
                throw error
            }
        } catch let error as ShoalError {
            return .failed(error)
        } catch {
            return .failed(ShoalError(.sshInvalidConfig, "\(error)"))
        }
    }

    /// The main config with an Include of the drop-in folder added on top, or nil when it
    /// already reads it (Debian 12 and Ubuntu 22.04 do out of the box).
    func includeFix(sensitive: Bool = false) throws -> ManagedFile? {
        guard !SshdConfig.includes(main: paths.mainConfig, file: paths.dropIn) else { return nil }
        let old = try SafeDirectory.readFile(paths.mainConfig) ?? Data()
        let header = "# Added by Shoal: read drop-ins first, so their settings win (sshd keeps the first value).\nInclude \(dropInDirectory)/*.conf\n\n"
        return ManagedFile(path: paths.mainConfig, content: Data(header.utf8) + old, sensitive: sensitive)
    }

    /// Refuses when, after the change, no user allowed to log in has a key.
    func refuseLockout() throws {
        let config = SshdConfig.read(main: paths.mainConfig)
        let check = SshLoginCheck(
            accounts: AccountDatabase.read(root: paths.accountsRoot), root: paths.accountsRoot,
            authorizedKeysFiles: config.authorizedKeysFiles, allowUsers: params.allowUsers,
            rootAllowed: permitRootLogin == "prohibit-password"
        )
        guard check.usersWithKeys().isEmpty else { return }
        let who = check.candidates().map(\.name)
        let list = who.isEmpty ? "no user would be allowed to log in at all" : "none of \(who.prefix(8).joined(separator: ", ")) has a key"
        throw ShoalError(.sshLockout, "refusing to harden sshd: after it, password logins are off and \(list) in \(config.authorizedKeysFiles.joined(separator: " ")); give a user authorizedKeys with a user step before this one (and list it in allowUsers if set)")
    }

    /// `sshd -t` for syntax, then `sshd -T` to confirm our settings are the ones in effect —
    /// an earlier drop-in (cloud-init's 50-cloud-init.conf sorts first) could override them.
    /// Returns the effective settings, keyword to values.
    @discardableResult
    func validate(_ tools: SystemCommand) async throws -> [String: [String]] {
        if try PathState.read(paths.privilegeSeparationDirectory).kind == .absent {
            _ = try? SafeDirectory.open(paths.privilegeSeparationDirectory, creatingMissing: 0o755)
        }
        try await tools.require([paths.sshd, "-t", "-f", paths.mainConfig], label: "sshd-t", code: .sshInvalidConfig, doing: "validating the new sshd configuration (the old one was restored)")
        let effective = try await tools.require([paths.sshd, "-T", "-f", paths.mainConfig], label: "sshd-T", code: .sshInvalidConfig, doing: "reading the effective sshd configuration")
        var values: [String: [String]] = [:]
        for line in effective.stdout.split(separator: "\n") {
            let words = line.split(separator: " ", maxSplits: 1).map(String.init)
            if words.count == 2 { values[words[0], default: []].append(words[1]) }
        }
        var wanted: [String: Set<String>] = [
            "passwordauthentication": ["no"], "kbdinteractiveauthentication": ["no"], "x11forwarding": ["no"],
            "permitrootlogin": permitRootLogin == "no" ? ["no"] : ["prohibit-password", "without-password"],
        ]
        if let tries = params.maxAuthTries { wanted["maxauthtries"] = [String(tries)] }
        let config = SshdConfig.read(main: paths.mainConfig)
        for (keyword, accepted) in wanted.sorted(by: { $0.key < $1.key }) {
            let actual = values[keyword]?.first ?? "?"
            guard !accepted.contains(actual) else { continue }
            let culprit = config.directives.first { $0.keyword == keyword && $0.file != paths.dropIn }?.file ?? "an earlier line"
            throw ShoalError(.sshOverridden, "sshd would still use \(keyword) \(actual): \(culprit) sets it before \(paths.dropIn) is read; remove that line (the old configuration was restored)")
        }
        if let users = params.allowUsers, Set(values["allowusers"] ?? []) != Set(users) {
            throw ShoalError(.sshOverridden, "sshd would use AllowUsers \((values["allowusers"] ?? []).joined(separator: " ")) instead of \(users.joined(separator: " ")): another file sets AllowUsers too; remove it (the old configuration was restored)")
        }
        return values
    }

    /// The ports sshd listens on, from `sshd -T` (`port 22`, one line each); 22 if none parse.
    static func ports(_ effective: [String: [String]]) -> Set<Int> {
        let ports = Set((effective["port"] ?? []).compactMap { Int($0) })
        return ports.isEmpty ? [22] : ports
    }

    /// Reloads sshd so new connections get the new rules; an inactive sshd is left stopped.
    /// Returns once sshd listens again (see `ListeningSockets` for why that is not at once).
    func reload(_ tools: SystemCommand, ports: Set<Int>) async throws -> String {
        if let argv = paths.reload {
            try await tools.require(argv, label: "reload", code: .sshReloadFailed, doing: "reloading sshd (the old configuration was restored)")
            return "reloaded sshd"
        }
        let systemctl = SystemCommand.locate("systemctl") ?? "systemctl"
        // When systemd holds the listening socket (ssh.socket), it never closes: nothing to wait for.
        let socketActivated = (try? await tools.run([systemctl, "is-active", "--quiet", "ssh.socket"], label: "ssh-socket"))?.succeeded ?? false
        let listeners = ListeningSockets()
        let before = socketActivated ? [] : listeners.inodes(ports: ports)
        for unit in ["ssh.service", "sshd.service"] {
            let result = try await tools.run([systemctl, "try-reload-or-restart", unit], label: "reload-\(unit)")
            if result.succeeded {
                guard !before.isEmpty else { return "reloaded \(unit) (if it was running)" }
                switch await listeners.waitForReplacement(of: before, ports: ports) {
                case .replaced: return "reloaded \(unit); sshd listens again"
                case .unchanged: return "reloaded \(unit); sshd kept its listening socket"
                case .gone:
                    throw ShoalError(.sshNotListening, "\(unit) was reloaded onto the new configuration, which sshd -t accepted, but nothing listens on port \(ports.sorted().map(String.init).joined(separator: ", ")) 10 s later; the old configuration was put back, so run `systemctl restart \(unit)` on the node (console access if SSH is down) and see `journalctl -u \(unit)`")
                }
            }
            // 5: no such unit; try the other name (RHEL calls it sshd.service).
            if result.exitCode == 5 { continue }
            throw ShoalError(.sshReloadFailed, "reloading \(unit) failed: \(result.complaint); the old configuration was restored")
        }
        throw ShoalError(.sshReloadFailed, "neither ssh.service nor sshd.service exists, so sshd could not be reloaded; the old configuration was restored")
    }
}

extension ShoalError.Code {
    public static let sshNotInstalled: Self = "ssh.not_installed"
    public static let sshLockout: Self = "ssh.lockout"
    public static let sshInvalidConfig: Self = "ssh.invalid_config"
    public static let sshOverridden: Self = "ssh.overridden"
    public static let sshReloadFailed: Self = "ssh.reload_failed"
    public static let sshNotListening: Self = "ssh.not_listening"
}
