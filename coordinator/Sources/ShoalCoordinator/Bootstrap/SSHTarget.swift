import ShoalCore

/// `[user@]host` as given on the command line, with how to reach it.
public struct SSHTarget: Sendable, Hashable {
    public var user: String?
    public var host: String
    public var port: Int?
    public var identityFile: String?
    /// Extra `-o` options (e.g. `ProxyJump=bastion`, `StrictHostKeyChecking=accept-new`).
    public var options: [String]

    public init(_ text: String, port: Int? = nil, identityFile: String? = nil, options: [String] = []) throws {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let user = parts.count == 2 ? parts[0] : nil
        let host = parts.count == 2 ? parts[1] : parts[0]
        // A leading '-' would be read by ssh as an option: refuse it rather than pass it on.
        guard !host.isEmpty, !host.hasPrefix("-"), user.map({ !$0.isEmpty && !$0.hasPrefix("-") }) ?? true,
              !host.contains(where: { $0.isWhitespace }) else {
            throw ShoalError(.bootstrapTarget, "'\(text)' is not a host to enroll: give [user@]host, e.g. root@10.0.0.5 or ubuntu@node-1")
        }
        self.user = user
        self.host = host
        self.port = port
        self.identityFile = identityFile
        self.options = options
    }

    /// As written by the operator: the key for results and tables.
    public var display: String { user.map { "\($0)@\(host)" } ?? host }

    /// Whether commands run as root directly, or need `sudo -n`; root unless a user is named.
    var isRoot: Bool { user == nil || user == "root" }
}
