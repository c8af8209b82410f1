import Foundation
import ShoalCore
#if canImport(Glibc)
import Glibc
#endif

/// A folder reached from `/` one component at a time with `openat(O_NOFOLLOW|O_DIRECTORY)`,
/// so no symlink anywhere on the way was followed, held open by its descriptor. Every step
/// that changes files as root reads and acts through one of these (`fstatat`, `openat`,
/// `mkdirat`, `renameat`, `unlinkat`, `fchown`, `fchmod` relative to the descriptor): once
/// the folder is open, swapping a component of its path for a symlink — a user replacing
/// `~/.ssh` with a link to `/etc` — changes nothing about where root writes.
///
/// A symlink on the way, or as the entry acted on, is refused with `file.invalid_target`
/// naming it. Paths are normalized lexically (`.`, `..`, doubled slashes) before the walk;
/// with no symlinks allowed that is the same folder the kernel would reach.
final class SafeDirectory: Sendable {
    let descriptor: Int32
    /// The normalized path the walk took, for messages.
    let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    /// The components of an absolute path, with `.` and empty ones dropped and `..` applied.
    static func components(of path: String) -> [String] {
        var parts: [String] = []
        for part in path.split(separator: "/") where part != "." {
            if part == ".." { _ = parts.popLast() } else { parts.append(String(part)) }
        }
        return parts
    }

    static func normalize(_ path: String) -> String {
        "/" + components(of: path).joined(separator: "/")
    }

    /// The folder at `path`; nil when it (or a folder above it) does not exist. With
    /// `creatingMissing`, missing folders are made on the way (the last with that mode, the
    /// others 0755, owned by the agent) and nil is never returned.
    static func open(_ path: String, creatingMissing mode: UInt32? = nil) throws -> SafeDirectory? {
        let root = Glibc.open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else { throw AtomicFileWriter.failure("cannot open folder", path: "/") }
        var current = SafeDirectory(descriptor: root, path: "/")
        let parts = components(of: path)
        for (index, name) in parts.enumerated() {
            if let next = try current.child(name) {
                current = next
            } else if let mode {
                current = try current.makeChild(name, mode: index == parts.count - 1 ? mode : 0o755)
            } else {
                return nil
            }
        }
        return current
    }

    /// The folder holding `path` (nil when it does not exist) and the last component's name.
    /// `/` itself has no parent and is refused.
    static func parent(of path: String) throws -> (directory: SafeDirectory?, name: String) {
        var parts = components(of: path)
        guard let name = parts.popLast() else {
            throw ShoalError(.fileInvalidTarget, "\(path) is the root folder; a step cannot manage it as a file")
        }
        return (try open("/" + parts.joined(separator: "/")), name)
    }

    /// Reads a whole regular file by path through the walk; nil when it does not exist.
    static func readFile(_ path: String) throws -> Data? {
        let (directory, name) = try parent(of: path)
        return try directory?.read(name)
    }

    /// The full path of an entry of this folder, for messages.
    func path(of name: String) -> String { path == "/" ? "/" + name : path + "/" + name }

    /// What is at `name` in this folder, without following it.
    func state(of name: String) -> PathState {
        var info = stat()
        guard fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return .absent }
        return PathState(info)
    }

    /// The state of this folder itself.
    var state: PathState {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return .absent }
        return PathState(info)
    }

    /// The sub-folder `name`; nil when nothing is there. A symlink or a non-folder there is
    /// `file.invalid_target` — this is the one check every walk goes through.
    func child(_ name: String) throws -> SafeDirectory? {
        let fd = openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd >= 0 { return SafeDirectory(descriptor: fd, path: path(of: name)) }
        let failure = AtomicFileWriter.failure("cannot open folder", path: path(of: name))
        switch state(of: name).kind {
        case .absent: return nil
        case .symlink: throw refusal(name)
        case .directory: throw failure
        case let kind: throw ShoalError(.fileInvalidTarget, "\(path(of: name)) is a \(kind.rawValue), not a folder; remove it or choose another path")
        }
    }

    /// Makes the sub-folder `name` (the mode exactly, whatever the umask) and opens it; a
    /// folder that appeared there meanwhile is opened as it is.
    func makeChild(_ name: String, mode: UInt32) throws -> SafeDirectory {
        let created = mkdirat(descriptor, name, mode_t(mode & 0o777)) == 0
        if !created, errno != EEXIST {
            throw AtomicFileWriter.failure("cannot create folder", path: path(of: name))
        }
        guard let made = try child(name) else {
            throw ShoalError(.fileWriteFailed, "\(path(of: name)) vanished right after it was created; re-run")
        }
        if created { try made.setAttributes(uid: nil, gid: nil, mode: mode) }
        return made
    }

    /// Opens the entry `name` without following it; the caller closes the descriptor.
    /// A symlink there is refused; so is a FIFO or device (O_NONBLOCK keeps the open from hanging).
    func openEntry(_ name: String, flags: Int32, creatingMode: UInt32 = 0o600) throws -> Int32 {
        let fd = openat(descriptor, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode_t(creatingMode))
        if fd >= 0 { return fd }
        let failure = AtomicFileWriter.failure("cannot open", path: path(of: name))
        if state(of: name).kind == .symlink { throw refusal(name) }
        throw failure
    }

    /// The content of the regular file `name`; nil when nothing is there.
    func read(_ name: String) throws -> Data? {
        let kind = state(of: name).kind
        if kind == .absent { return nil }
        guard kind == .file else {
            throw kind == .symlink ? refusal(name) : ShoalError(.fileInvalidTarget, "\(path(of: name)) is a \(kind.rawValue), not a file")
        }
        let fd = try openEntry(name, flags: O_RDONLY | O_NONBLOCK)
        defer { close(fd) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw AtomicFileWriter.failure("cannot read", path: path(of: name)) }
            if count == 0 { return data }
            data.append(contentsOf: buffer[0..<count])
        }
    }

    /// Sets owner, group and mode of this folder itself (nil: leave it).
    func setAttributes(uid: UInt32?, gid: UInt32?, mode: UInt32?) throws {
        try Self.setAttributes(of: descriptor, uid: uid, gid: gid, mode: mode, path: path)
    }

    /// Sets owner, group and mode of the entry `name` through a descriptor of it, never by
    /// path. A file with more than one hard link is refused: changing it would change a file
    /// that lives elsewhere too.
    func setAttributes(of name: String, uid: UInt32?, gid: UInt32?, mode: UInt32?) throws {
        let fd = try openEntry(name, flags: O_RDONLY | O_NONBLOCK)
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_nlink > 1 {
            throw ShoalError(.fileInvalidTarget, "\(path(of: name)) has \(info.st_nlink) hard links; Shoal does not change the owner or mode of a file shared with other paths — replace it with a file of its own")
        }
        try Self.setAttributes(of: fd, uid: uid, gid: gid, mode: mode, path: path(of: name))
    }

    private static func setAttributes(of fd: Int32, uid: UInt32?, gid: UInt32?, mode: UInt32?, path: String) throws {
        if uid != nil || gid != nil, fchown(fd, uid ?? UInt32.max, gid ?? UInt32.max) != 0 {
            throw AtomicFileWriter.failure("cannot change owner", path: path)
        }
        if let mode, fchmod(fd, mode_t(mode)) != 0 {
            throw AtomicFileWriter.failure("cannot change mode to \(Ownership.modeText(mode))", path: path)
        }
    }

    /// Renames an entry within this folder (both names relative to the descriptor).
    func rename(_ from: String, to: String) throws {
        guard renameat(descriptor, from, descriptor, to) == 0 else {
            throw AtomicFileWriter.failure("cannot rename \(from) into place", path: path(of: to))
        }
    }

    /// Removes the file or symlink `name` (a symlink itself, never what it points to).
    func remove(_ name: String) throws {
        guard unlinkat(descriptor, name, 0) == 0 || errno == ENOENT else {
            throw AtomicFileWriter.failure("cannot remove", path: path(of: name))
        }
    }

    /// Removes the empty folder `name`.
    func removeDirectory(_ name: String) throws {
        guard unlinkat(descriptor, name, AT_REMOVEDIR) == 0 || errno == ENOENT else {
            throw AtomicFileWriter.failure("cannot remove folder", path: path(of: name))
        }
    }

    /// The names in this folder, without `.` and `..`.
    func entries() throws -> [String] {
        // fdopendir takes its descriptor; give it a copy rewound to the start.
        let copy = dup(descriptor)
        guard copy >= 0, let stream = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            throw AtomicFileWriter.failure("cannot list folder", path: path)
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }

    /// Makes this folder's entries durable (after a rename or create in it).
    func sync() { fsync(descriptor) }

    /// The error for a symlink met on the way or at the end, naming it and where it points.
    func refusal(_ name: String) -> ShoalError {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlinkat(descriptor, name, &buffer, buffer.count - 1)
        let target = count > 0 ? " (to \(String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)))" : ""
        return ShoalError(.fileInvalidTarget, "\(path(of: name)) is a symlink\(target); Shoal does not write through symlinks — point the step at the real path, or remove the link")
    }
}
