import Foundation
import ShoalCore
#if canImport(Glibc)
import Glibc
#endif

/// A file a step wants to exist with given content, owner, group and mode. `plan()` compares
/// it with what is on disk (the diff check mode reports); `apply()` makes it so atomically.
/// Steps that write a file (file, template, systemd units, sysctl.d, sshd_config.d) share it;
/// it reads and writes only through `SafeDirectory`, so it never follows a symlink.
public struct ManagedFile: Sendable {
    public var path: String
    /// Nil: leave content as it is (attributes only; the file must exist).
    public var content: Data?
    public var owner: String?
    public var group: String?
    public var mode: UInt32?
    /// The step is marked `sensitive: true`: diffs show sizes and hashes only (`ContentDiff`).
    public var sensitive: Bool

    public init(path: String, content: Data?, owner: String? = nil, group: String? = nil, mode: UInt32? = nil, sensitive: Bool = false) {
        self.path = path
        self.content = content
        self.owner = owner
        self.group = group
        self.mode = mode
        self.sensitive = sensitive
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

    /// Computes the plan; throws for what no apply could fix (a directory or a symlink in the
    /// way, on the path or at it; an unknown owner).
    public func plan() throws -> Plan {
        let (directory, name) = try SafeDirectory.parent(of: path)
        return try plan(in: directory, name: name)
    }

    /// The plan against the entry `name` of an opened folder (nil: the folder does not exist).
    func plan(in directory: SafeDirectory?, name: String) throws -> Plan {
        let state = directory?.state(of: name) ?? .absent
        switch state.kind {
        case .directory, .other:
            throw ShoalError(.fileInvalidTarget, "\(path) is a \(state.kind.rawValue), not a file; remove it or choose another path")
        case .symlink:
            throw directory?.refusal(name) ?? ShoalError(.fileInvalidTarget, "\(path) is a symlink")
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
            let finalMode = mode ?? 0o644
            var attributes: [String] = []
            attributes.append("mode \(Ownership.modeText(finalMode))")
            if let owner { attributes.append("owner \(owner)") }
            if let group { attributes.append("group \(group)") }
            if directory == nil {
                // In check mode an earlier step may be about to create it; apply refuses.
                attributes.append("its folder \(parent) does not exist yet")
            }
            let hidden = ContentDiff.hides(sensitive: sensitive, modes: [finalMode])
            let diff = ContentDiff.describe(old: Data(), new: content, path: path, creating: true, hidden: hidden) + attributes.map { "# new file: \($0)\n" }.joined()
            return Plan(createsFile: true, contentChanges: true, attributeChanges: [], diff: diff)
        }
        let current = try directory?.read(name) ?? Data()
        let contentChanges = content.map { $0 != current } ?? false
        var attributes: [String] = []
        if let mode, mode != state.mode { attributes.append("mode \(Ownership.modeText(state.mode)) -> \(Ownership.modeText(mode))") }
        if let owner, let uid = Ownership.uid(owner), uid != state.uid { attributes.append("owner \(state.ownerName) -> \(owner)") }
        if let group, let gid = Ownership.gid(group), gid != state.gid { attributes.append("group \(state.groupName) -> \(group)") }
        let hidden = ContentDiff.hides(sensitive: sensitive, modes: [state.mode, mode])
        var diff = contentChanges ? ContentDiff.describe(old: current, new: content ?? Data(), path: path, hidden: hidden) : ""
        diff += attributes.map { "# \(path): \($0)\n" }.joined()
        return Plan(createsFile: false, contentChanges: contentChanges, attributeChanges: attributes, diff: diff)
    }

    /// Makes the file so; returns the plan that was carried out. The folder is opened once
    /// and both the plan and the change go through that descriptor.
    @discardableResult
    public func apply() throws -> Plan {
        let (directory, name) = try SafeDirectory.parent(of: path)
        guard let directory else {
            // The plan's own refusals (no content, unknown owner) come first, as before.
            _ = try plan(in: nil, name: name)
            throw ShoalError(.fileInvalidTarget, "the folder \(parent) for \(path) does not exist; add a directory step before this one")
        }
        return try apply(in: directory, name: name)
    }

    /// Makes the entry `name` of an opened folder so.
    @discardableResult
    func apply(in directory: SafeDirectory, name: String) throws -> Plan {
        let plan = try plan(in: directory, name: name)
        guard plan.isChange else { return plan }
        let state = directory.state(of: name)
        let uid = owner.flatMap(Ownership.uid) ?? (state.kind == .file ? state.uid : nil)
        let gid = group.flatMap(Ownership.gid) ?? (state.kind == .file ? state.gid : nil)
        let finalMode = mode ?? (state.kind == .file ? state.mode : 0o644)
        if plan.createsFile || plan.contentChanges, let content {
            try AtomicFileWriter.write(content, in: directory, name: name, mode: finalMode, uid: uid, gid: gid)
        } else {
            try directory.setAttributes(of: name, uid: uid, gid: gid, mode: finalMode)
        }
        return plan
    }
}

extension ShoalError.Code {
    public static let fileInvalidTarget: Self = "file.invalid_target"
    public static let fileUnknownOwner: Self = "file.unknown_owner"
}
