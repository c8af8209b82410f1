import Foundation
import ShoalCore
#if canImport(Glibc)
import Glibc
#endif

/// A file a step wants to exist with given content, owner, group and mode. `plan()` compares
/// it with what is on disk (the diff check mode reports); `apply()` makes it so atomically.
/// Steps that write a file (file, template, systemd units, sysctl.d, sshd_config.d) share it.
public struct ManagedFile: Sendable {
    public var path: String
    /// Nil: leave content as it is (attributes only; the file must exist).
    public var content: Data?
    public var owner: String?
    public var group: String?
    public var mode: UInt32?

    public init(path: String, content: Data?, owner: String? = nil, group: String? = nil, mode: UInt32? = nil) {
        self.path = path
        self.content = content
        self.owner = owner
        self.group = group
        self.mode = mode
    }

    var parent: String { (path as NSString).deletingLastPathComponent }

    /// What differs between the disk and the desired file.
    public struct Plan: Sendable {
        public var createsFile: Bool
        public var contentChanges: Bool
        /// Human lines such as "mode 0644 -> 0600".
        public var attributeChanges: [String]
        public var diff: String
        public var isChange: Bool { createsFile || contentChanges || !attributeChanges.isEmpty }
    }

    /// Computes the plan; throws for what no apply could fix (a directory in the way, unknown owner).
    public func plan() throws -> Plan {
        let state = PathState.read(path)
        switch state.kind {
        case .directory, .other:
            throw ShoalError(.fileInvalidTarget, "\(path) is a \(state.kind.rawValue), not a file; remove it or choose another path")
        case .symlink:
            throw ShoalError(.fileInvalidTarget, "\(path) is a symlink; Shoal does not write through symlinks — point the step at the real path")
        case .absent, .file:
            break
        }
        if let owner, Ownership.uid(owner) == nil {
            throw ShoalError(.fileUnknownOwner, "owner '\(owner)' of \(path) is not a user on this node; create it with a user step first")
        }
        if let group, Ownership.gid(group) == nil {
            throw ShoalError(.fileUnknownOwner, "group '\(group)' of \(path) is not a group on this node; create it with a group step first")
        }
        if state.kind == .absent {
            guard let content else {
                throw ShoalError(.fileInvalidTarget, "\(path) does not exist and the step gives no content; give 'content' or 'source'")
            }
            var attributes: [String] = []
            attributes.append("mode \(Ownership.modeText(mode ?? 0o644))")
            if let owner { attributes.append("owner \(owner)") }
            if let group { attributes.append("group \(group)") }
            if PathState.read(parent).kind != .directory {
                // In check mode an earlier step may be about to create it; apply refuses.
                attributes.append("its folder \(parent) does not exist yet")
            }
            let diff = Self.describe(old: Data(), new: content, path: path, creating: true) + attributes.map { "# new file: \($0)\n" }.joined()
            return Plan(createsFile: true, contentChanges: true, attributeChanges: [], diff: diff)
        }
        let current = FileManager.default.contents(atPath: path) ?? Data()
        let contentChanges = content.map { $0 != current } ?? false
        var attributes: [String] = []
        if let mode, mode != state.mode { attributes.append("mode \(Ownership.modeText(state.mode)) -> \(Ownership.modeText(mode))") }
        if let owner, let uid = Ownership.uid(owner), uid != state.uid { attributes.append("owner \(state.ownerName) -> \(owner)") }
        if let group, let gid = Ownership.gid(group), gid != state.gid { attributes.append("group \(state.groupName) -> \(group)") }
        var diff = contentChanges ? Self.describe(old: current, new: content ?? Data(), path: path, creating: false) : ""
        diff += attributes.map { "# \(path): \($0)\n" }.joined()
        return Plan(createsFile: false, contentChanges: contentChanges, attributeChanges: attributes, diff: diff)
    }

    /// Makes the file so; returns the plan that was carried out.
    @discardableResult
    public func apply() throws -> Plan {
        let plan = try plan()
        guard plan.isChange else { return plan }
        if plan.createsFile, PathState.read(parent).kind != .directory {
            throw ShoalError(.fileInvalidTarget, "the folder \(parent) for \(path) does not exist; add a directory step before this one")
        }
        let state = PathState.read(path)
        let uid = owner.flatMap(Ownership.uid) ?? (state.kind == .file ? state.uid : nil)
        let gid = group.flatMap(Ownership.gid) ?? (state.kind == .file ? state.gid : nil)
        let finalMode = mode ?? (state.kind == .file ? state.mode : 0o644)
        if plan.createsFile || plan.contentChanges, let content {
            try AtomicFileWriter.write(content, to: path, mode: finalMode, uid: uid, gid: gid)
        } else {
            if uid != nil || gid != nil, chown(path, uid ?? UInt32.max, gid ?? UInt32.max) != 0 {
                throw AtomicFileWriter.failure("cannot change owner", path: path)
            }
            if chmod(path, mode_t(finalMode)) != 0 {
                throw AtomicFileWriter.failure("cannot change mode", path: path)
            }
        }
        return plan
    }

    /// A unified diff for text; for binary content, the sizes and hashes.
    static func describe(old: Data, new: Data, path: String, creating: Bool) -> String {
        if let oldText = String(data: old, encoding: .utf8), let newText = String(data: new, encoding: .utf8),
           !oldText.contains("\0"), !newText.contains("\0"), old.count + new.count <= 1 << 20 {
            return UnifiedDiff.make(old: oldText, new: newText, oldLabel: creating ? "/dev/null" : path, newLabel: path)
        }
        return "binary \(path): \(old.count) bytes (sha256 \(old.sha256Hex.prefix(12))) -> \(new.count) bytes (sha256 \(new.sha256Hex.prefix(12)))\n"
    }
}

extension ShoalError.Code {
    public static let fileInvalidTarget: Self = "file.invalid_target"
    public static let fileUnknownOwner: Self = "file.unknown_owner"
}
