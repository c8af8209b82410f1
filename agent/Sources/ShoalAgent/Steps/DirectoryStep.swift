import Foundation
import ShoalCore

/// `directory`: a folder (and its missing parents) with owner, group and mode; or
/// `state: absent`, which removes it with its contents.
public struct DirectoryStep: Step {
    public static let kind = "directory"

    struct Params: Codable {
        var path: String
        var state: String?
        var owner: String?
        var group: String?
        var mode: FileMode?
    }

    let params: Params

    public init(spec: StepSpec) throws {
        let params = try spec.decodeParams(Params.self)
        guard params.path.hasPrefix("/") else {
            throw ShoalError(.stepInvalid, "directory step '\(spec.displayName)': path '\(params.path)' must be absolute")
        }
        guard ["present", "absent"].contains(params.state ?? "present") else {
            throw ShoalError(.stepInvalid, "directory step '\(spec.displayName)': state must be present or absent")
        }
        self.params = params
    }

    public func apply(in context: StepContext) async -> StepOutcome { run(applying: true) }
    public func check(in context: StepContext) async -> StepOutcome { run(applying: false) }

    func run(applying: Bool) -> StepOutcome {
        do {
            if params.state == "absent" {
                return try FileRemoval(path: params.path, expect: .directory).run(applying: applying)
            }
            return try ensure(applying: applying)
        } catch let error as ShoalError {
            return .failed(error)
        } catch {
            return .failed(ShoalError(.stepFailed, "\(params.path): \(error)"))
        }
    }

    func ensure(applying: Bool) throws -> StepOutcome {
        let path = params.path
        if let owner = params.owner, Ownership.uid(owner) == nil {
            throw ShoalError(.fileUnknownOwner, "owner '\(owner)' of \(path) is not a user on this node; create it with a user step first")
        }
        if let group = params.group, Ownership.gid(group) == nil {
            throw ShoalError(.fileUnknownOwner, "group '\(group)' of \(path) is not a group on this node; create it with a group step first")
        }
        let state = try PathState.read(path)
        var changes: [String] = []
        switch state.kind {
        case .absent:
            changes.append("create directory \(path) (mode \(Ownership.modeText(params.mode?.value ?? 0o755)))")
        case .directory:
            if let mode = params.mode?.value, mode != state.mode { changes.append("mode \(Ownership.modeText(state.mode)) -> \(Ownership.modeText(mode))") }
        default:
            throw ShoalError(.fileInvalidTarget, "\(path) exists and is a \(state.kind.rawValue), not a directory; remove it first")
        }
        let uid = params.owner.flatMap(Ownership.uid), gid = params.group.flatMap(Ownership.gid)
        if let uid, state.kind == .absent || uid != state.uid { changes.append("owner \(state.kind == .absent ? "" : state.ownerName + " -> ")\(params.owner ?? "")") }
        if let gid, state.kind == .absent || gid != state.gid { changes.append("group \(state.kind == .absent ? "" : state.groupName + " -> ")\(params.group ?? "")") }
        guard !changes.isEmpty else { return StepOutcome(status: .unchanged, message: "\(path) is as wanted") }
        let diff = changes.map { "# \(path): \($0)\n" }.joined()
        guard applying else { return StepOutcome(status: .changed, message: "would " + changes.joined(separator: ", "), diff: diff) }
        // Missing parents get 0755 whatever the agent's umask: they are ordinary folders. The
        // walk refuses a symlink on the way, and owner and mode are set on the descriptor.
        let mode = params.mode?.value ?? 0o755
        guard let folder = try SafeDirectory.open(path, creatingMissing: mode) else {
            throw ShoalError(.fileWriteFailed, "cannot create \(path)")
        }
        try folder.setAttributes(uid: uid, gid: gid, mode: state.kind == .absent || params.mode != nil ? mode : nil)
        return StepOutcome(status: .changed, message: changes.joined(separator: ", "), diff: diff)
    }
}
