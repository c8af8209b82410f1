import Foundation

/// A plain TCP listener on one host address (a testbed node's host-side IP), used to prove
/// a node reaches services on the host. Blocking calls with a receive timeout: the node has
/// already connected and written by the time `acceptAndRead` runs, so nothing waits long.
final class HostTCPListener {
    private let fd: Int32
    let port: Int

    init(address: String) throws {
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard sock >= 0 else { throw ListenerError("socket: errno \(errno)") }
        var bindAddress = sockaddr_in()
        bindAddress.sin_family = sa_family_t(AF_INET)
        bindAddress.sin_port = 0
        guard inet_pton(AF_INET, address, &bindAddress.sin_addr) == 1 else {
            close(sock)
            throw ListenerError("not an IPv4 address: \(address)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &bindAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, length) }
        }
        guard bound == 0, listen(sock, 4) == 0 else {
            close(sock)
            throw ListenerError("bind/listen on \(address): errno \(errno)")
        }
        _ = withUnsafeMutablePointer(to: &bindAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &length) }
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        fd = sock
        port = Int(UInt16(bigEndian: bindAddress.sin_port))
    }

    deinit { close(fd) }

    /// Accepts one connection and reads until the peer closes it.
    func acceptAndRead() throws -> String {
        let connection = accept(fd, nil, nil)
        guard connection >= 0 else { throw ListenerError("accept: errno \(errno) (did the node connect?)") }
        defer { close(connection) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(connection, &buffer, buffer.count)
            if count <= 0 { break }
            received.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: received, as: UTF8.self)
    }

    struct ListenerError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
