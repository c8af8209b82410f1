import Foundation

/// Writes secrets and state files the way a careful admin would: 0600 from the first byte
/// (never chmod after the fact), into a temporary file that is fsynced and renamed into place,
/// so a crash leaves either the old file or the new one.
public enum SecureFile {
    public static func write(_ text: String, to path: String, mode: mode_t = 0o600) throws {
        try write(Data(text.utf8), to: path, mode: mode)
    }

    public static func write(_ data: Data, to path: String, mode: mode_t = 0o600) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ioError("cannot create \(temporary)") }
        var ok = true
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(fd, buffer.baseAddress!.advanced(by: offset), buffer.count - offset)
                if written <= 0 { ok = false; break }
                offset += written
            }
        }
        if ok, fchmod(fd, mode) != 0 { ok = false }
        if ok, fsync(fd) != 0 { ok = false }
        close(fd)
        guard ok else {
            let error = ioError("cannot write \(path)")
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = ioError("cannot move \(temporary) to \(path)")
            unlink(temporary)
            throw error
        }
    }

    public static func read(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ShoalError(.configInvalid, "cannot read \(path): \(error.localizedDescription)")
        }
    }

    /// Creates a directory (and parents) with the given mode if it does not exist.
    public static func makeDirectory(_ path: String, mode: Int = 0o700) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
        } catch {
            throw ShoalError(.storage, "cannot create directory \(path): \(error.localizedDescription)")
        }
    }

    private static func ioError(_ what: String) -> ShoalError {
        let reason = String(cString: strerror(errno))
        return ShoalError(.storage, "\(what): \(reason)\(errno == ENOSPC ? " — free disk space and retry" : "")")
    }
}
