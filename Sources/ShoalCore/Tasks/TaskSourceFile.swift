import Foundation

/// Reads the file a step names by `source:` under the task file's trust boundary.
///
/// A path written in the task file (literally, or through a variable the file sets itself) is
/// the file author's reach: it must stay inside the task file's folder, like Salt's
/// `file_roots` or Docker's build context — no absolute path, no `..` out of it, no symlink to
/// outside. A path the operator typed on the command line (`--var name=PATH`, the whole
/// `source`) is the operator's own reach and may be anywhere they can read. Either way the
/// fleet's data directory (CA and signing keys) is never read for a task.
///
/// The check runs on real paths, and the file is then opened by walking from the folder with
/// `O_NOFOLLOW` on every component and read through that descriptor, so swapping a component
/// for a symlink between the check and the read cannot lead outside.
public enum TaskSourceFile {
    /// Who chose the path, which decides where it may point.
    public enum Origin: Sendable, Equatable {
        /// Written in the task file, literally or through the file's own `vars:` defaults.
        case taskFile
        /// The whole `source` is a variable the operator set on the command line.
        case commandLine
    }

    /// - Parameters:
    ///   - path: the `source` after variables are replaced.
    ///   - folder: the task file's folder; relative task-file paths start here and stay inside.
    ///   - workingDirectory: where a relative command-line path starts.
    ///   - protected: folders (or files) never read, whoever names them: the fleet's data directory.
    ///   - label: names the file and step in errors.
    ///   - limit: read at most this many bytes plus one, so an oversized file is seen without reading all of it.
    public static func read(
        _ path: String, origin: Origin, folder: String, workingDirectory: String,
        protected: [String], label: String, limit: Int
    ) throws -> Data {
        let realFolder: String?
        let full: String
        switch origin {
        case .taskFile:
            guard !path.hasPrefix("/") else {
                throw refusal(label, path, "is an absolute path; a task file may carry only files from its own folder (give a path relative to it, or pass one from elsewhere with --var NAME=PATH)")
            }
            guard staysInside(path) else {
                throw refusal(label, path, "uses '..' to leave the task file's folder; a task file may carry only files from its own folder")
            }
            guard let resolvedFolder = realPath(folder) else {
                throw ShoalError(.taskFileMissing, "\(label): the task file's folder '\(folder)' cannot be resolved")
            }
            realFolder = resolvedFolder
            full = folder + "/" + path
        case .commandLine:
            realFolder = nil
            full = path.hasPrefix("/") ? path : workingDirectory + "/" + path
        }
        guard let real = realPath(full) else {
            throw ShoalError(.taskFileMissing, "\(label): source file '\(full)' cannot be read; check the path (relative paths start at the task file's folder, or the current folder when the whole source is a --var)")
        }
        try check(real, against: realFolder, protected: protected, label: label, path: path)

        let fd = try open(real, inside: realFolder, label: label, path: path)
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw refusal(label, path, "is not a regular file")
        }
        // What was opened is checked again: a swap that slipped past the walk still fails here.
        if let opened = descriptorPath(fd) {
            try check(opened, against: realFolder, protected: protected, label: label, path: path)
        }
        return try readAll(fd, limit: limit, label: label, path: full)
    }

    /// Whether `..` components never climb above the start of a relative path.
    static func staysInside(_ path: String) -> Bool {
        var depth = 0
        for component in path.split(separator: "/") {
            switch component {
            case ".": continue
            case "..":
                depth -= 1
                if depth < 0 { return false }
            default: depth += 1
            }
        }
        return true
    }

    static func isInside(_ path: String, _ folder: String) -> Bool {
        folder == "/" || path == folder || path.hasPrefix(folder + "/")
    }

    private static func check(_ real: String, against realFolder: String?, protected: [String], label: String, path: String) throws {
        if let realFolder, !isInside(real, realFolder) {
            throw refusal(label, path, "resolves to '\(real)' through a symlink, outside the task file's folder '\(realFolder)'; a task file may carry only files from its own folder")
        }
        for item in protected where !item.isEmpty {
            let realItem = realPath(item) ?? URL(fileURLWithPath: item).standardized.path
            if isInside(real, realItem) {
                throw refusal(label, path, "is inside the fleet's data directory '\(realItem)', whose keys are never read for a task")
            }
        }
    }

    /// Opens `real` read-only without following any symlink: from the folder one component at
    /// a time when the path is confined, else the last component only.
    private static func open(_ real: String, inside realFolder: String?, label: String, path: String) throws -> Int32 {
        let fileFlags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK
        guard let realFolder else {
            let fd = Foundation.open(real, fileFlags)
            guard fd >= 0 else { throw unreadable(label, real, errno) }
            return fd
        }
        var directory = Foundation.open(realFolder, O_RDONLY | O_CLOEXEC | O_DIRECTORY)
        guard directory >= 0 else { throw unreadable(label, realFolder, errno) }
        let rest = realFolder == "/" ? String(real.dropFirst()) : String(real.dropFirst(realFolder.count + 1))
        let components = rest.split(separator: "/").map(String.init)
        for (index, component) in components.enumerated() {
            let last = index == components.count - 1
            let next = openat(directory, component, last ? fileFlags : O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_DIRECTORY)
            let failure = errno
            close(directory)
            guard next >= 0 else {
                if failure == ELOOP || failure == ENOTDIR {
                    throw refusal(label, path, "changed into a symlink while it was being read; a task file may carry only files from its own folder")
                }
                throw unreadable(label, real, failure)
            }
            directory = next
        }
        return directory
    }

    private static func readAll(_ fd: Int32, limit: Int, label: String, path: String) throws -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while data.count <= limit {
            let count = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw unreadable(label, path, errno) }
            if count == 0 { break }
            data.append(contentsOf: buffer[0..<count])
        }
        return data
    }

    /// The path the kernel holds for an open descriptor (Linux `/proc`); nil where unknown.
    private static func descriptorPath(_ fd: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/fd/\(fd)", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func refusal(_ label: String, _ path: String, _ rule: String) -> ShoalError {
        ShoalError(.taskInvalid, "\(label): source '\(path)' \(rule)")
    }

    private static func unreadable(_ label: String, _ path: String, _ code: Int32) -> ShoalError {
        ShoalError(.taskFileMissing, "\(label): source file '\(path)' cannot be read: \(String(cString: strerror(code)))")
    }
}
