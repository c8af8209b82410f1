import Foundation
import ShoalCore

/// `group`: a local group made so with groupadd/groupmod/groupdel. Membership is the user
/// step's business (`groups:`), so this step never touches the member list.
public struct GroupStep: Step {
    public static let kind = "group"

    struct Params: Codable {
        var name: String
        var state: String?
        var system: Bool?
        var gid: UInt32?
    }

    let params: Params
    let name: String
    /// Where the account files live; "/" on a node, a copy in tests (tools get `--prefix`).
    var root = "/"

    public init(spec: StepSpec) throws {
        let params = try spec.decodeParams(Params.self)
        guard params.name.range(of: #"^[a-z_][a-z0-9_.-]{0,31}$"#, options: .regularExpression) != nil else {
            throw ShoalError(.stepInvalid, "group step '\(spec.displayName)': '\(params.name)' is not a valid group name (lower case letters, digits, _ . -; at most 32)")
        }
        guard ["present", "absent"].contains(params.state ?? "present") else {
            throw ShoalError(.stepInvalid, "group step '\(spec.displayName)': state must be present or absent, not '\(params.state ?? "")'")
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

    func run(in context: StepContext, applying: Bool) async -> StepOutcome {
        do {
            guard let action = try plan(AccountDatabase.read(root: root)) else {
                return StepOutcome(status: .unchanged, message: "group \(params.name) is as wanted")
            }
            guard applying else {
                return StepOutcome(status: .changed, message: "would " + action.summary)
            }
            try await SystemCommand(outputPrefix: context.outputPrefix)
                .require(action.argv, label: "group", code: .groupModifyFailed, doing: action.summary)
            return StepOutcome(status: .changed, message: "changed: " + action.summary)
        } catch let error as ShoalError {
            return .failed(error)
        } catch {
            return .failed(ShoalError(.groupModifyFailed, "group \(params.name): \(error)"))
        }
    }

    /// The one tool call that makes the group so, or nil when it already is.
    func plan(_ database: AccountDatabase) throws -> UserStep.Action? {
        let prefix = root == "/" ? [] : ["--prefix", root]
        let existing = database.group(params.name)
        if params.state == "absent" {
            guard let group = existing else { return nil }
            if group.gid == 0 {
                throw ShoalError(.groupRefuseRoot, "refusing to remove group \(group.name): it is gid 0; removing it would break the node")
            }
            if let user = database.users.first(where: { $0.gid == group.gid }) {
                throw ShoalError(.groupInUse, "group \(group.name) is the primary group of user \(user.name); remove or change that user first")
            }
            return UserStep.Action(summary: "remove group \(group.name)", argv: [tool("groupdel")] + prefix + [group.name])
        }
        if let gid = params.gid, let holder = database.group(gid: gid), holder.name != params.name {
            throw ShoalError(.groupGidTaken, "gid \(gid) wanted for group \(params.name) already belongs to \(holder.name); choose another gid or leave it out")
        }
        guard let group = existing else {
            var argv = [tool("groupadd")] + prefix
            if params.system == true { argv.append("--system") }
            if let gid = params.gid { argv += ["--gid", String(gid)] }
            return UserStep.Action(summary: "create group \(params.name)" + (params.gid.map { " (gid \($0))" } ?? ""), argv: argv + [params.name])
        }
        if let gid = params.gid, gid != group.gid {
            return UserStep.Action(summary: "change gid of group \(params.name) \(group.gid) -> \(gid)", argv: [tool("groupmod")] + prefix + ["--gid", String(gid), params.name])
        }
        return nil
    }

    private func tool(_ name: String) -> String { SystemCommand.locate(name) ?? name }
}

extension ShoalError.Code {
    public static let groupModifyFailed: Self = "user.group_modify_failed"
    public static let groupRefuseRoot: Self = "user.refuse_root_group"
    public static let groupGidTaken: Self = "user.gid_taken"
    public static let groupInUse: Self = "user.group_in_use"
}
