import Foundation
import ShoalCore

/// A rule as a `ufw` step lists it: `{port: 22, proto: tcp, from: 10.0.0.0/8, action: allow, comment: ssh}`.
/// Always an incoming rule to this host on a port (or range `8000:8100`), as the playbooks use.
struct UfwRuleSpec: Codable, Sendable, Equatable {
    var port: String
    var proto: String?
    var from: String?
    var action: String?
    var comment: String?
    /// `in` (the default) or `out`: an outgoing rule, to a destination (`to`) rather than from a source.
    var direction: String?
    var to: String?

    enum CodingKeys: String, CodingKey { case port, proto, from, action, comment, direction, to }

    init(port: String, proto: String? = nil, from: String? = nil, action: String? = nil, comment: String? = nil, direction: String? = nil, to: String? = nil) {
        self.port = port; self.proto = proto; self.from = from; self.action = action; self.comment = comment
        self.direction = direction; self.to = to
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // YAML authors write `port: 22`; ranges need quotes or a string: "8000:8100".
        if let number = try? container.decode(Int.self, forKey: .port) {
            port = String(number)
        } else {
            port = try container.decode(String.self, forKey: .port)
        }
        proto = try container.decodeIfPresent(String.self, forKey: .proto)
        from = try container.decodeIfPresent(String.self, forKey: .from)
        action = try container.decodeIfPresent(String.self, forKey: .action)
        comment = try container.decodeIfPresent(String.self, forKey: .comment)
        direction = try container.decodeIfPresent(String.self, forKey: .direction)
        to = try container.decodeIfPresent(String.self, forKey: .to)
    }

    var actionWord: String { action ?? "allow" }
    var protoWord: String { proto ?? "any" }
    /// nil for "anywhere".
    var source: String? { from.flatMap { $0 == "any" || $0 == "anywhere" ? nil : $0 } }
    var isOutgoing: Bool { direction == "out" }
    /// nil for "anywhere"; only outgoing rules name a destination.
    var destination: String? { to.flatMap { $0 == "any" || $0 == "anywhere" ? nil : $0 } }
    /// The one address a rule is limited to, whichever side it is on.
    var address: String? { isOutgoing ? destination : source }

    /// Throws `step.invalid` for what ufw would reject, so the step fails before touching anything.
    func validate(label: String) throws {
        guard ["allow", "deny", "limit", "reject"].contains(actionWord) else {
            throw ShoalError(.stepInvalid, "\(label): rule action must be allow, deny, limit or reject, not '\(actionWord)'")
        }
        guard ["tcp", "udp", "any"].contains(protoWord) else {
            throw ShoalError(.stepInvalid, "\(label): rule proto must be tcp, udp or any, not '\(protoWord)'")
        }
        let bounds = port.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard (1...2).contains(bounds.count), bounds.allSatisfy({ $0.map { (1...65535).contains($0) } ?? false }) else {
            throw ShoalError(.stepInvalid, "\(label): rule port '\(port)' must be a number 1-65535 or a range like 8000:8100")
        }
        if bounds.count == 2, protoWord == "any" {
            throw ShoalError(.stepInvalid, "\(label): the port range \(port) needs proto tcp or udp (ufw does not take ranges for both)")
        }
        guard direction == nil || direction == "in" || direction == "out" else {
            throw ShoalError(.stepInvalid, "\(label): rule direction must be in or out, not '\(direction ?? "")'")
        }
        if isOutgoing, source != nil {
            throw ShoalError(.stepInvalid, "\(label): an outgoing rule (direction: out) names where it goes with 'to', not 'from'")
        }
        if !isOutgoing, destination != nil {
            throw ShoalError(.stepInvalid, "\(label): 'to' is for outgoing rules; add direction: out")
        }
        if let address, address.range(of: #"^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$"#, options: .regularExpression) == nil {
            throw ShoalError(.stepInvalid, "\(label): rule \(isOutgoing ? "to" : "from") '\(address)' must be an IP address or CIDR network (or any)")
        }
        if let comment, comment.contains("'") || comment.contains("\n") {
            throw ShoalError(.stepInvalid, "\(label): rule comment must be one line without quotes")
        }
    }

    /// The tuples ufw records for this rule: IPv4, plus IPv6 when enabled and the source allows.
    func tuples(ipv6Enabled: Bool) -> [UfwTuple] {
        let families: [Bool] = if let address { [address.contains(":")] } else { ipv6Enabled ? [false, true] : [false] }
        return families.map { v6 in
            let any = UfwTuple.anyAddress(ipv6: v6)
            if isOutgoing {
                return UfwTuple(action: actionWord, proto: protoWord, dport: port, dst: destination ?? any, sport: "any", src: any, direction: "out", comment: comment, ipv6: v6)
            }
            return UfwTuple(action: actionWord, proto: protoWord, dport: port, dst: any, sport: "any", src: source ?? any, direction: "in", comment: comment, ipv6: v6)
        }
    }

    /// `ufw` arguments that add (or update) the rule.
    var addWords: [String] {
        var words = [actionWord]
        if isOutgoing { words.append("out") }
        if protoWord != "any" { words += ["proto", protoWord] }
        words += ["from", source ?? "any", "to", destination ?? "any", "port", port]
        if let comment { words += ["comment", comment] }
        return words
    }
}
