import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Connects to a unix socket once and hangs up, to tell "no daemon" apart in milliseconds.
/// (The HTTP client's pool retries a failing connect until the request's deadline, so a
/// missing daemon would otherwise look like a slow one.)
enum UnixSocketProbe {
    /// Nil when something accepts connections at `path`; otherwise why not (strerror text).
    static func failure(connectingTo path: String) -> String? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return "the socket path is longer than \(capacity - 1) bytes" }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { close(fd) }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return result == 0 ? nil : String(cString: strerror(errno))
    }
}
