import Foundation
import ShoalCore

/// `user`: a local account made so with useradd/usermod/userdel. Supplementary `groups` are
/// added to, never taken away (other steps and packages add users to groups too). With
/// `authorizedKeys` the step owns `~/.ssh/authorized_keys`. Passwords are never set: with
/// `passwordLocked` (the default) the password is locked so the account is key-only.
public struct UserStep: Step {
    public static let kind = "user"

    struct Params: Codable {
        var name: String
        var state: String?
        var system: Bool?
        var uid: UInt32?
        var group: String?
        var groups: [String]?
        var shell: String?
        var home: String?
        var createHome: Bool?
        var authorizedKeys: [String]?
        var passwordLocked: Bool?
        var removeHome: Bool?
    }

    let params: Params
    let name: String
    /// Where the account files live; "/" on a node, a copy in tests (tools get `--prefix`).
    var root = "/"

    public init(spec: StepSpec) throws {
        let params = try spec.decodeParams(Params.self)
        let label = "user step '\(spec.displayName)'"
        guard params.name.range(of: #"^[a-z_][a-z0-9_.-]{0,31}\$?$"#, options: .regularExpression) != nil else {
            throw ShoalError(.stepInvalid, "\(label): '\(params.name)' is not a valid user name (lower case letters, digits, _ . -; at most 32)")
        }
        guard ["present", "absent"].contains(params.state ?? "present") else {
            throw ShoalError(.stepInvalid, "\(label): state must be present or absent, not '\(params.state ?? "")'")
        }
        for path in [params.home, params.shell].compactMap({ $0 }) where !path.hasPrefix("/") {
            throw ShoalError(.stepInvalid, "\(label): '\(path)' must be an absolute path")
        }
        for key in params.authorizedKeys ?? [] {
            let trimmed = key.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty, !trimmed.contains("\n") else {
                throw ShoalError(.stepInvalid, "\(label): each authorizedKeys entry must be one key on one line")
            }
        }
        self.params = params
        self.name = spec.displayName
    }

    init(spec: StepSpec, root: String) throws {
        try self.init(spec: spec)
        self.root = root
    }

    public func apply(in context: StepContext) async -> StepOutcome {
        await run(in: context, applying: true)
    }

    public func check(in context: StepContext) async -> StepOutcome {
        await run(in: context, applying: false)
    }

    /// One change to make: what to say and the tool call that makes it.
    struct Action: Equatable {
        var summary: String
        var argv: [String]
    }

    func run(in context: StepContext, applying: Bool) async -> StepOutcome {
        do {
            let database = AccountDatabase.read(root: root)
            let actions = try plan(database)
            let tools = SystemCommand(outputPrefix: context.outputPrefix)
            var done: [String] = []
            for (index, action) in actions.enumerated() {
                guard applying else { break }
                try await tools.require(action.argv, label: "user-\(index)", code: params.state == "absent" ? .userDeleteFailed : .userModifyFailed, doing: action.summary)
                done.append(action.summary)
            }
            var keysDiff = ""
            if let keys = params.authorizedKeys, params.state != "absent" {
                keysDiff = try authorizedKeys(keys, database: applying ? AccountDatabase.read(root: root) : database, applying: applying)
            }
            var lines = actions.map(\.summary)
            if !keysDiff.isEmpty { lines.append("write the authorized_keys of \(params.name)") }
            guard !lines.isEmpty else {
                return StepOutcome(status: .unchanged, message: "user \(params.name) is as wanted")
            }
            let message = applying ? "changed: " + lines.joined(separator: "; ") : lines.map { "would " + $0 }.joined(separator: "; ")
            // The diff is what a check report shows instead of the message, so it names the
            // account changes too — "create user deploy" before the key file it makes possible.
            let diff = actions.map { "# \($0.summary)\n" }.joined() + keysDiff
            return StepOutcome(status: .changed, message: message, diff: diff)
        } catch let error as ShoalError {
            return .failed(error)
        } catch {
            return .failed(ShoalError(.userModifyFailed, "user \(params.name): \(error)"))
        }
    }

    /// The tool calls that make the account files so, from what they say now.
    func plan(_ database: AccountDatabase) throws -> [Action] {
        let prefix = root == "/" ? [] : ["--prefix", root]
        let existing = database.user(params.name)
        if params.state == "absent" {
            if params.name == "root" || existing?.uid == 0 {
                throw ShoalError(.userRefuseRoot, "refusing to remove \(params.name): it is the superuser (uid 0); removing it would break the node")
            }
            guard existing != nil else { return [] }
            let remove = params.removeHome == true
            return [Action(summary: "remove user \(params.name)" + (remove ? " and its home folder" : ""), argv: [tool("userdel")] + prefix + (remove ? ["--remove"] : []) + [params.name])]
        }
        if let primary = params.group, database.group(named: primary) == nil {
            throw ShoalError(.userUnknownGroup, "group '\(primary)' for user \(params.name) does not exist; create it with a group step before this one")
        }
        let missing = (params.groups ?? []).filter { database.group($0) == nil }
        guard missing.isEmpty else {
            throw ShoalError(.userUnknownGroup, "groups \(missing.joined(separator: ", ")) for user \(params.name) do not exist; create them with group steps before this one")
        }
        if let uid = params.uid, let holder = database.user(uid: uid), holder.name != params.name {
            throw ShoalError(.userUidTaken, "uid \(uid) wanted for \(params.name) already belongs to \(holder.name); choose another uid or leave it out")
        }
        guard let user = existing else {
            return [Action(summary: "create user \(params.name)", argv: createCommand(prefix: prefix))] + lockAction(password: "!", prefix: prefix, created: true)
        }
        var actions: [Action] = []
        if let uid = params.uid, uid != user.uid {
            actions.append(Action(summary: "change uid of \(params.name) \(user.uid) -> \(uid)", argv: [tool("usermod")] + prefix + ["--uid", String(uid), params.name]))
        }
        if let primary = params.group, let group = database.group(named: primary), group.gid != user.gid {
            let current = database.group(gid: user.gid)?.name ?? String(user.gid)
            actions.append(Action(summary: "change primary group of \(params.name) \(current) -> \(group.name)", argv: [tool("usermod")] + prefix + ["--gid", group.name, params.name]))
        }
        let current = database.supplementaryGroups(of: params.name)
        let add = (params.groups ?? []).filter { !current.contains($0) && database.group($0)?.gid != user.gid }
        if !add.isEmpty {
            actions.append(Action(summary: "add \(params.name) to groups \(add.joined(separator: ", "))", argv: [tool("usermod")] + prefix + ["--append", "--groups", add.joined(separator: ","), params.name]))
        }
        if let shell = params.shell, shell != user.shell {
            actions.append(Action(summary: "change shell of \(params.name) \(user.shell) -> \(shell)", argv: [tool("usermod")] + prefix + ["--shell", shell, params.name]))
        }
        if let home = params.home, home != user.home {
            actions.append(Action(summary: "change home of \(params.name) \(user.home) -> \(home)", argv: [tool("usermod")] + prefix + ["--home", home] + (params.createHome == false ? [] : ["--move-home"]) + [params.name]))
        }
        guard let passwords = database.passwords else {
            throw ShoalError(.userModifyFailed, "cannot read \(AccountDatabase.path("/etc/shadow", root: root)) to tell whether the password of \(params.name) is locked; the agent must run as root")
        }
        return actions + lockAction(password: passwords[params.name] ?? "", prefix: prefix, created: false)
    }

    private func createCommand(prefix: [String]) -> [String] {
        var argv = [tool("useradd")] + prefix
        if params.system == true { argv.append("--system") }
        if let uid = params.uid { argv += ["--uid", String(uid)] }
        if let group = params.group { argv += ["--gid", group] }
        if let groups = params.groups, !groups.isEmpty { argv += ["--groups", groups.joined(separator: ",")] }
        if let shell = params.shell { argv += ["--shell", shell] }
        if let home = params.home { argv += ["--home-dir", home] }
        // System accounts get no home unless asked; people do, so keys have somewhere to live.
        argv.append(params.createHome ?? (params.system != true) ? "--create-home" : "--no-create-home")
        return argv + [params.name]
    }

    /// useradd leaves the password field "!" (locked); an existing account may need `usermod -L`.
    private func lockAction(password: String, prefix: [String], created: Bool) -> [Action] {
        guard params.passwordLocked ?? true, !created, !AccountDatabase.isLocked(password) else { return [] }
        return [Action(summary: "lock the password of \(params.name)", argv: [tool("usermod")] + prefix + ["--lock", params.name])]
    }

    private func authorizedKeys(_ keys: [String], database: AccountDatabase, applying: Bool) throws -> String {
        guard let user = database.user(params.name) else {
            // Check mode for a user not yet created: everything would be new.
            return AuthorizedKeysFile.creationDiff(home: params.home ?? "/home/\(params.name)", keys: keys, owner: params.name)
        }
        let file = AuthorizedKeysFile(home: AccountDatabase.path(user.home, root: root), uid: user.uid, gid: user.gid, keys: keys)
        return applying ? try file.apply() : try file.plan()
    }

    private func tool(_ name: String) -> String { SystemCommand.locate(name) ?? name }
}

extension ShoalError.Code {
    public static let userRefuseRoot: Self = "user.refuse_root"
    public static let userUnknownGroup: Self = "user.unknown_group"
    public static let userUidTaken: Self = "user.uid_taken"
    public static let userModifyFailed: Self = "user.modify_failed"
    public static let userDeleteFailed: Self = "user.delete_failed"
    public static let userInvalidHome: Self = "user.invalid_home"
}
