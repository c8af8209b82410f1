import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Which machine a host name leads to, as far as this side can tell: every address the
/// resolver gives for it, in numeric form. `unenroll NODE_ID` compares them with the address
/// the node enrolled from before it SSHes to the hostname the node reported.
enum HostAddresses {
    /// Every IPv4 and IPv6 address `name` resolves to; empty when it does not resolve.
    static func resolve(_ name: String) -> Set<String> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(list) }
        var addresses: Set<String> = []
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(current.pointee.ai_addr, current.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                addresses.insert(normalised(String(cString: buffer)))
            }
            entry = current.pointee.ai_next
        }
        return addresses
    }

    /// An IPv4 client on a dual-stack listener shows as `::ffff:10.0.0.5`; compare it as `10.0.0.5`.
    static func normalised(_ address: String) -> String {
        let lowered = address.lowercased()
        return lowered.hasPrefix("::ffff:") && lowered.contains(".") ? String(lowered.dropFirst(7)) : lowered
    }

    /// Whether `address` (where a node enrolled from) is among `addresses`.
    static func contains(_ address: String?, in addresses: Set<String>) -> Bool {
        guard let address else { return false }
        return addresses.contains(normalised(address))
    }
}
