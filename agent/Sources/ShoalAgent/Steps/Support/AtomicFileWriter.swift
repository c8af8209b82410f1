import Foundation
import ShoalCore
#if canImport(Glibc)
import Glibc
#endif

/// Replaces a file atomically: the new content is written to a temporary file in the same
/// directory with its final owner and mode, flushed, then renamed over the target, so a
/// reader (or a crash) sees the old file or the new one, never half of it.
public enum AtomicFileWriter {
    public static func write(_ data: Data, to path: String, mode: UInt32, uid: UInt32?, gid: UInt32?) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = directory + "/.\((path as NSString).lastPathComponent).shoal-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(0o600))
        guard fd >= 0 else { throw failure("cannot create \(temporary)", path: path) }
        var ok = false
        defer {
            if !ok { unlink(temporary) }
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
        guard written, fsync(fd) == 0 else {
            let error = failure("cannot write \(data.count) bytes", path: path)
            close(fd)
            throw error
        }
        if uid != nil || gid != nil, fchown(fd, uid ?? UInt32.max, gid ?? UInt32.max) != 0 {
            let error = failure("cannot set owner", path: path)
            close(fd)
            throw error
        }
        guard fchmod(fd, mode_t(mode)) == 0 else {
            let error = failure("cannot set mode \(Ownership.modeText(mode))", path: path)
            close(fd)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else { throw failure("cannot rename into place", path: path) }
        ok = true
        // The rename is durable only once the directory entry is.
        let dirFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 { fsync(dirFD); close(dirFD) }
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
