import Foundation
@testable import ShoalAgent
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What ssh_hardening waits on after a reload: a listening socket replaced by a new one, read
/// from the real /proc/net tables with real sockets on loopback.
@Suite("Listening sockets from /proc/net")
struct ListeningSocketsTests {
    /// A captured /proc/net/tcp: sshd listening on 22, an established connection from 22, a
    /// listener on another port.
    let table = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 41213 1 0000000000000000 100 0 0 10 0
           1: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 41999 1 0000000000000000 100 0 0 10 0
           2: 0A000002:0016 0A000001:D2F4 01 00000000:00000000 02:0009F4A2 00000000     0        0 52001 4 0000000000000000 20 4 31 10 -1
        """

    @Test("only LISTEN rows on the asked ports count, by inode")
    func parsesTheTable() {
        #expect(ListeningSockets.listening(in: table, ports: [22]) == [41213])
        #expect(ListeningSockets.listening(in: table, ports: [22, 631]) == [41213, 41999])
        #expect(ListeningSockets.listening(in: table, ports: [2222]).isEmpty)
        #expect(ListeningSockets.listening(in: "garbage\nnot a table at all", ports: [22]).isEmpty)
    }

    /// A port below the kernel's ephemeral range (32768 up), free now: nothing else in this test
    /// run binds port 0 into it, so a port this test closes is not taken by another test's
    /// listener before it looks (which would make "gone" look "replaced").
    func quietPort() throws -> Int {
        for _ in 0..<50 {
            let port = Int.random(in: 20_000..<32_000)
            if let (fd, _) = try? listen(port: port) {
                close(fd)
                return port
            }
        }
        throw POSIXError(.EADDRINUSE)
    }

    /// A TCP socket listening on 127.0.0.1:port (0: any), SO_REUSEADDR like sshd's.
    func listen(port: Int) throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && Glibc.listen(fd, 4) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard fd >= 0, bound else { throw POSIXError(.EADDRINUSE) }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test("a socket closed and reopened on its port is seen as replaced; one left open as unchanged; none as gone")
    func waitsForTheNewSocket() async throws {
        let sockets = ListeningSockets()
        let first = try listen(port: try quietPort())
        let before = sockets.inodes(ports: [first.port])
        #expect(before.count == 1)

        #expect(await sockets.waitForReplacement(of: before, ports: [first.port], limit: .milliseconds(200)) == .unchanged)

        // What sshd does on SIGHUP: close, exec, listen again — here 300 ms later.
        close(first.fd)
        let reopened = Task {
            try await Task.sleep(for: .milliseconds(300))
            return try listen(port: first.port).fd
        }
        #expect(await sockets.waitForReplacement(of: before, ports: [first.port], limit: .seconds(30)) == .replaced)
        let second = try await reopened.value
        #expect(sockets.inodes(ports: [first.port]).isDisjoint(with: before))

        close(second)
        #expect(await sockets.waitForReplacement(of: before, ports: [first.port], limit: .milliseconds(100)) == .gone)
    }
}
