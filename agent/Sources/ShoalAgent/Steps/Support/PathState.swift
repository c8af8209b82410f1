import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What is at a path now, read without following a final symlink: enough to decide whether
/// a `file` or `directory` step has anything to do.
public struct PathState: Sendable, Equatable {
    public enum Kind: String, Sendable { case absent, file, directory, symlink, other }

    public var kind: Kind
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32

    public static func read(_ path: String) -> PathState {
        var info = stat()
        guard lstat(path, &info) == 0 else { return PathState(kind: .absent, mode: 0, uid: 0, gid: 0) }
        let type = info.st_mode & S_IFMT
        let kind: Kind = switch type {
        case S_IFREG: .file
        case S_IFDIR: .directory
        case S_IFLNK: .symlink
        default: .other
        }
        return PathState(kind: kind, mode: UInt32(info.st_mode & 0o7777), uid: info.st_uid, gid: info.st_gid)
    }

    /// Owner and group as names where the system knows them (numbers otherwise).
    public var ownerName: String { Ownership.userName(uid) }
    public var groupName: String { Ownership.groupName(gid) }
}
