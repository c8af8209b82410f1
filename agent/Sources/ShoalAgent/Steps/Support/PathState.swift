import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What is at a path now, read without following it: enough to decide whether a `file` or
/// `directory` step has anything to do.
public struct PathState: Sendable, Equatable {
    public enum Kind: String, Sendable { case absent, file, directory, symlink, other }

    public var kind: Kind
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    /// Bytes, for a file.
    public var size: Int64 = 0

    public static let absent = PathState(kind: .absent, mode: 0, uid: 0, gid: 0)

    init(kind: Kind, mode: UInt32, uid: UInt32, gid: UInt32, size: Int64 = 0) {
        self.kind = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
    }

    init(_ info: stat) {
        let kind: Kind = switch info.st_mode & S_IFMT {
        case S_IFREG: .file
        case S_IFDIR: .directory
        case S_IFLNK: .symlink
        default: .other
        }
        self.init(kind: kind, mode: UInt32(info.st_mode & 0o7777), uid: info.st_uid, gid: info.st_gid, size: Int64(info.st_size))
    }

    /// What is at `path`, reached through `SafeDirectory`'s walk: a symlinked folder on the
    /// way is `file.invalid_target`; a missing folder on the way means absent; a symlink at
    /// `path` itself is reported as `.symlink`.
    public static func read(_ path: String) throws -> PathState {
        guard !SafeDirectory.components(of: path).isEmpty else {
            return try SafeDirectory.open("/")?.state ?? .absent
        }
        let (directory, name) = try SafeDirectory.parent(of: path)
        return directory?.state(of: name) ?? .absent
    }

    /// Owner and group as names where the system knows them (numbers otherwise).
    public var ownerName: String { Ownership.userName(uid) }
    public var groupName: String { Ownership.groupName(gid) }
}
