import Foundation

/// One rule as ufw records it in /etc/ufw/user.rules (and user6.rules): the
/// `### tuple ### action proto dport dst sport src [dapp sapp] direction [comment=hex]` line
/// ufw writes above the iptables lines and reads back itself. It is the file's truth about
/// which rules exist, so Shoal compares against it rather than `ufw status` text.
struct UfwTuple: Sendable, Equatable, Hashable {
    var action: String
    var proto: String
    var dport: String
    var dst: String
    var sport: String
    var src: String
    var dapp: String?
    var sapp: String?
    var direction: String
    var comment: String?
    var ipv6: Bool

    static let marker = "### tuple ### "

    /// All tuples in a user.rules / user6.rules text.
    static func parse(_ text: String, ipv6: Bool) -> [UfwTuple] {
        text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix(marker) else { return nil }
            return UfwTuple(line: String(line.dropFirst(marker.count)), ipv6: ipv6)
        }
    }

    init?(line: String, ipv6: Bool) {
        var words = line.split(separator: " ").map(String.init)
        var comment: String?
        if let last = words.last, last.hasPrefix("comment=") {
            comment = Self.hexDecode(String(last.dropFirst("comment=".count)))
            words.removeLast()
        }
        switch words.count {
        case 7:
            dapp = nil; sapp = nil
        case 9:
            dapp = words[6] == "-" ? nil : words[6].replacingOccurrences(of: "%20", with: " ")
            sapp = words[7] == "-" ? nil : words[7].replacingOccurrences(of: "%20", with: " ")
        default:
            return nil
        }
        action = words[0]; proto = words[1]; dport = words[2]; dst = words[3]; sport = words[4]; src = words[5]
        direction = words[words.count - 1]
        self.comment = comment
        self.ipv6 = ipv6
    }

    init(action: String, proto: String, dport: String, dst: String, sport: String, src: String, direction: String, comment: String?, ipv6: Bool) {
        self.action = action; self.proto = proto; self.dport = dport; self.dst = dst; self.sport = sport
        self.src = src; self.dapp = nil; self.sapp = nil; self.direction = direction; self.comment = comment; self.ipv6 = ipv6
    }

    static func anyAddress(ipv6: Bool) -> String { ipv6 ? "::/0" : "0.0.0.0/0" }

    /// Rule identity as ufw sees it: everything but the comment.
    func sameRule(as other: UfwTuple) -> Bool {
        var mine = self, theirs = other
        mine.comment = nil; theirs.comment = nil
        return mine == theirs
    }

    /// Whether this rule lets new TCP connections to `port` in from somewhere.
    func allowsIncomingTCP(port: Int) -> Bool {
        guard ["allow", "limit", "allow_log", "allow_log-all", "limit_log", "limit_log-all"].contains(action),
              direction == "in" || direction.hasPrefix("in_"), proto == "tcp" || proto == "any",
              dst == Self.anyAddress(ipv6: ipv6) else { return false }
        return dport.split(separator: ",").contains { part in
            let bounds = part.split(separator: ":").compactMap { Int($0) }
            if bounds.count == 2 { return (bounds[0]...max(bounds[0], bounds[1])).contains(port) }
            return bounds.first == port
        }
    }

    /// Whether this rule lets new connections out to `port` over `proto` reach `address`
    /// (nil: whatever its destination).
    func allowsOutgoing(port: Int, proto wanted: String, to address: String?) -> Bool {
        guard ["allow", "limit", "allow_log", "allow_log-all", "limit_log", "limit_log-all"].contains(action),
              direction == "out" || direction.hasPrefix("out_"), proto == wanted || proto == "any", dapp == nil else { return false }
        if let address, !IPAddressText.contains(network: dst, address: address) { return false }
        return dport == "any" || dport.split(separator: ",").contains { part in
            let bounds = part.split(separator: ":").compactMap { Int($0) }
            if bounds.count == 2 { return (bounds[0]...max(bounds[0], bounds[1])).contains(port) }
            return bounds.first == port
        }
    }

    /// ufw command words naming this rule (for `ufw delete …`), from its tuple.
    var commandWords: [String] {
        var words: [String] = []
        var action = self.action
        if action.hasPrefix("route:") { words.append("route"); action.removeFirst("route:".count) }
        let parts = action.split(separator: "_", maxSplits: 1).map(String.init)
        words.append(parts[0])
        for part in direction.split(separator: "!") {
            let pieces = part.split(separator: "_", maxSplits: 1).map(String.init)
            words.append(pieces[0])
            if pieces.count == 2 { words += ["on", pieces[1]] }
        }
        if parts.count == 2 { words.append(parts[1]) }
        if proto != "any", dapp == nil, sapp == nil { words += ["proto", proto] }
        let any = Self.anyAddress(ipv6: ipv6)
        words += ["from", src == any ? "any" : src]
        if let sapp { words += ["app", sapp] } else if sport != "any" { words += ["port", sport] }
        words += ["to", dst == any ? "any" : dst]
        if let dapp { words += ["app", dapp] } else if dport != "any" { words += ["port", dport] }
        return words
    }

    /// A readable one-liner for messages: "allow 22/tcp from any".
    var summary: String {
        let port = dapp ?? (proto == "any" ? dport : "\(dport)/\(proto)")
        let any = Self.anyAddress(ipv6: ipv6)
        let peer = direction.hasPrefix("out") ? "out \(port) to \(dst == any ? "anywhere" : dst)" : "\(port) from \(src == any ? "anywhere" : src)"
        return "\(action) \(peer)\(ipv6 ? " (v6)" : "")" + (comment.map { " # \($0)" } ?? "")
    }

    static func hexDecode(_ hex: String) -> String? {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) ?? hex.endIndex
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
