import Foundation
import ShoalCore

/// ufw's configuration as its files hold it: `ENABLED` in ufw.conf, the default policies
/// and `IPV6` in /etc/default/ufw, and the rule tuples in user.rules / user6.rules.
struct UfwState: Sendable, Equatable {
    var enabled: Bool
    var ipv6: Bool
    /// deny | allow | reject, as the step spells policies.
    var defaultIncoming: String
    var defaultOutgoing: String
    var rules: [UfwTuple]

    /// Paths under `datadir` ("/" on a node; ufw's own `--datadir` in tests).
    struct Files: Sendable {
        var datadir: String
        func path(_ path: String) -> String { AccountDatabase.path(path, root: datadir) }
        var conf: String { path("/etc/ufw/ufw.conf") }
        var defaults: String { path("/etc/default/ufw") }
        var userRules: String { path("/etc/ufw/user.rules") }
        var userRules6: String { path("/etc/ufw/user6.rules") }
        var all: [String] { [conf, defaults, userRules, userRules6] }
    }

    static func read(_ files: Files) throws -> UfwState {
        func text(_ path: String) throws -> String {
            guard let data = try SafeDirectory.readFile(path) else {
                throw ShoalError(.ufwNotInstalled, "ufw's file \(path) is missing; ufw is not (fully) installed — add an apt step for ufw first")
            }
            return String(decoding: data, as: UTF8.self)
        }
        let conf = shellVariables(try text(files.conf))
        let defaults = shellVariables(try text(files.defaults))
        let ipv6 = defaults["IPV6"]?.lowercased() == "yes"
        var rules = UfwTuple.parse(try text(files.userRules), ipv6: false)
        if ipv6, let v6 = try SafeDirectory.readFile(files.userRules6) {
            rules += UfwTuple.parse(String(decoding: v6, as: UTF8.self), ipv6: true)
        }
        return UfwState(
            enabled: conf["ENABLED"]?.lowercased() == "yes", ipv6: ipv6,
            defaultIncoming: policy(defaults["DEFAULT_INPUT_POLICY"] ?? "DROP"),
            defaultOutgoing: policy(defaults["DEFAULT_OUTPUT_POLICY"] ?? "ACCEPT"),
            rules: rules
        )
    }

    /// iptables target → the word `ufw default` takes.
    static func policy(_ target: String) -> String {
        switch target.uppercased() {
        case "ACCEPT": "allow"
        case "REJECT": "reject"
        default: "deny"
        }
    }

    /// KEY=value / KEY="value" lines of a shell-style config file.
    static func shellVariables(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = String(trimmed[..<equals])
            let value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: CharacterSet(charactersIn: "\"' "))
            values[key] = value
        }
        return values
    }
}
