import Foundation

/// The kernel's listening TCP sockets on some ports, by inode, read from `/proc/net/tcp` and
/// `/proc/net/tcp6`.
///
/// Why: sshd re-executes itself on SIGHUP. It closes its listening socket, execs, and opens a
/// new one, and `systemctl reload` returns before that has happened. Until the new socket
/// exists, connections are refused. A step that reported success into that window would
/// send the operator's next SSH login (or the next step's) into "connection refused". The
/// new socket has a new inode, which is what the ssh_hardening step waits for.
struct ListeningSockets: Sendable {
    var procNet = "/proc/net"

    /// Inodes of the sockets in LISTEN state on any of `ports`, IPv4 and IPv6.
    func inodes(ports: Set<Int>) -> Set<UInt64> {
        var found = Set<UInt64>()
        for table in ["tcp", "tcp6"] {
            guard let text = try? String(contentsOfFile: procNet + "/" + table, encoding: .utf8) else { continue }
            found.formUnion(Self.listening(in: text, ports: ports))
        }
        return found
    }

    /// Parses one `/proc/net/tcp*` table: `sl local rem st … uid timeout inode …`, where
    /// `local` is `HEXADDR:HEXPORT` and state `0A` is LISTEN.
    static func listening(in table: String, ports: Set<Int>) -> Set<UInt64> {
        var found = Set<UInt64>()
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 9, fields[3] == "0A",
                  let colon = fields[1].lastIndex(of: ":"),
                  let port = Int(fields[1][fields[1].index(after: colon)...], radix: 16), ports.contains(port),
                  let inode = UInt64(fields[9]), inode != 0
            else { continue }
            found.insert(inode)
        }
        return found
    }

    enum Wait: Equatable {
        /// A listening socket that was not there before the reload.
        case replaced
        /// The old socket is still there: sshd did not re-exec (or systemd holds the socket).
        case unchanged
        /// Nothing listens on the ports any more.
        case gone
    }

    /// Waits up to `limit` until as many listeners are on `ports` as before, none of them one
    /// of `before` (sshd listening on IPv4 and IPv6 reopens both).
    ///
    /// The kernel offers no event for "a socket started listening" that a process outside
    /// sshd can wait on, so this re-reads two small /proc files every 20 ms, for seconds at
    /// most, once per reload.
    func waitForReplacement(of before: Set<UInt64>, ports: Set<Int>, limit: Duration = .seconds(10)) async -> Wait {
        let deadline = ContinuousClock.now + limit
        let replaced = { (current: Set<UInt64>) in current.count >= max(before.count, 1) && current.isDisjoint(with: before) }
        var current = inodes(ports: ports)
        while !replaced(current), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
            current = inodes(ports: ports)
        }
        if replaced(current) { return .replaced }
        return current.isEmpty ? .gone : .unchanged
    }
}
