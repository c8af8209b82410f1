#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ShoalCore

/// Each simulated node holds one or two connections, so a big fleet needs far more file
/// descriptors than the usual soft limit of 1024. The soft limit is raised to what the fleet
/// needs — and the hard limit with it where the process may (root) — else to the hard limit.
enum FileDescriptorLimit {
    /// Returns the soft limit now in force; throws when it stays below `needed`, saying how to fix it.
    @discardableResult
    static func raise(to needed: Int) throws -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        let want = rlim_t(needed)
        if limit.rlim_cur < want {
            var raised = limit
            raised.rlim_cur = want
            raised.rlim_max = max(limit.rlim_max, want)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) != 0 {
                // Not allowed to raise the hard limit: take what it allows.
                raised = limit
                raised.rlim_cur = limit.rlim_max
                _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised)
            }
            _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        guard limit.rlim_cur >= want else {
            throw ShoalError(
                .invalidArgument,
                "this fleet needs \(needed) open files (one socket per connection, plus slack) but the limit is \(limit.rlim_cur); run 'ulimit -n \(needed)' (as root, or raise the hard limit in /etc/security/limits.conf) and start it again — the coordinator needs as many — or halve the need with --connections-per-node 1"
            )
        }
        return Int(limit.rlim_cur)
    }
}
