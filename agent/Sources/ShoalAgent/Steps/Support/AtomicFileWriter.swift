import Foundation
import ShoalCore
#if canImport(Glibc)
import Glibc
#endif

/// Replaces a file atomically: the new content is written to a temporary file created in
/// the already-opened folder (`openat(O_CREAT|O_EXCL|O_NOFOLLOW)`), given its final owner and
/// mode through its descriptor, flushed, then renamed over the target with `renameat` within
/// that same folder descriptor — so a reader (or a crash) sees the old file or the new one,
/// never half of it, and nothing is written anywhere but the folder that was opened.
public enum AtomicFileWriter {
    /// Writes `path`, reaching its folder through `SafeDirectory`'s walk (no symlinks).
    public static func write(_ data: Data, to path: String, mode: UInt32, uid: UInt32?, gid: UInt32?) throws {
        let (directory, name) = try SafeDirectory.parent(of: path)
        guard let directory else {
            throw ShoalError(.fileInvalidTarget, "the folder for \(path) does not exist; add a directory step before this one")
        }
        try write(data, in: directory, name: name, mode: mode, uid: uid, gid: gid)
    }

    static func write(_ data: Data, in directory: SafeDirectory, name: String, mode: UInt32, uid: UInt32?, gid: UInt32?) throws {
        let path = directory.path(of: name)
        let temporary = ".\(name.prefix(200)).shoal-\(UInt32.random(in: 0...UInt32.max))"
        let fd = try directory.openEntry(temporary, flags: O_WRONLY | O_CREAT | O_EXCL)
        var ok = false
        defer {
            close(fd)
            if !ok { try? directory.remove(temporary) }
        }
        let written = data.withUnsafeBytes { buffer -> Bool in
            guard let base = buffer.baseAddress else { return true }
            var offset = 0
            while offset < buffer.count {
                let count = Glibc.write(fd, base + offset, buffer.count - offset)
                if count < 0 { if errno == EINTR { continue }; return false }
                offset += count
            }
            return true
        }
        guard written, fsync(fd) == 0 else { throw failure("cannot write \(data.count) bytes", path: path) }
        if uid != nil || gid != nil, fchown(fd, uid ?? UInt32.max, gid ?? UInt32.max) != 0 {
            throw failure("cannot set owner", path: path)
        }
        guard fchmod(fd, mode_t(mode)) == 0 else { throw failure("cannot set mode \(Ownership.modeText(mode))", path: path) }
        try directory.rename(temporary, to: name)
        ok = true
        // The rename is durable only once the folder entry is.
        directory.sync()
    }

    static func failure(_ what: String, path: String) -> ShoalError {
        let reason = String(cString: strerror(errno))
        let hint = errno == ENOSPC ? "; free disk space and re-run" : errno == EACCES || errno == EPERM ? "; the agent needs root for this path" : ""
        return ShoalError(.fileWriteFailed, "\(path): \(what): \(reason)\(hint); the previous file is left as it was")
    }
}

extension ShoalError.Code {
    public static let fileWriteFailed: Self = "file.write_failed"
}
