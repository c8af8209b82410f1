import Foundation

/// Where this node's agent reaches its coordinator, for steps that could cut it off (a
/// firewall's outgoing policy). nil in a step context when there is no coordinator (`agent
/// apply` on a machine that is not enrolled).
public struct CoordinatorAddress: Sendable, Equatable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// From the coordinator URL the agent enrolled with; nil when it has no host.
    public init?(url: String) {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else { return nil }
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? (components.scheme == "http" ? 80 : 443)
    }

    /// Whether the host is written as an address, so no DNS lookup is needed to reach it.
    public var isAddressLiteral: Bool { IPAddressText.isIPv4(host) || host.contains(":") }

    /// The addresses the host names now: itself when it is an address, else what the resolver says.
    public func resolvedAddresses() -> [String] {
        if isAddressLiteral { return [host] }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if let address = entry.pointee.ai_addr,
               getnameinfo(address, entry.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !addresses.contains(text) { addresses.append(text) }
            }
            cursor = entry.pointee.ai_next
        }
        return addresses
    }
}

/// Just enough address arithmetic for a firewall guard: IPv4 dotted quads and CIDR containment.
enum IPAddressText {
    static func ipv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard let octet = UInt8(part), String(octet) == part else { return nil }
            value = value << 8 | UInt32(octet)
        }
        return value
    }

    static func isIPv4(_ text: String) -> Bool { ipv4(text) != nil }

    /// Whether `network` (an address or CIDR, as ufw writes it) contains `address`. IPv6 is
    /// compared as written, except `::/0`, which holds every IPv6 address.
    static func contains(network: String, address: String) -> Bool {
        let pieces = network.split(separator: "/", maxSplits: 1).map(String.init)
        if let base = ipv4(pieces[0]), let candidate = ipv4(address) {
            let bits = pieces.count == 2 ? (Int(pieces[1]) ?? 32) : 32
            guard (0...32).contains(bits) else { return false }
            let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << UInt32(32 - bits)
            return base & mask == candidate & mask
        }
        guard address.contains(":") else { return false }
        return network == "::/0" || pieces[0].lowercased() == address.lowercased()
    }
}
