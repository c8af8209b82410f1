/// What a health probe checks: an HTTP answer, a TCP connect, or a command's exit status.
/// The same shape is a `health_check` step's parameters and an agent config's recurring check.
public struct HealthProbeSpec: Codable, Sendable, Equatable {
    public struct HTTP: Codable, Sendable, Equatable {
        public var url: String
        /// Expected status; default: any 2xx.
        public var status: Int?
        public var bodyContains: String?

        public init(url: String, status: Int? = nil, bodyContains: String? = nil) {
            self.url = url
            self.status = status
            self.bodyContains = bodyContains
        }
    }

    public struct TCP: Codable, Sendable, Equatable {
        /// `host:port`; IPv6 as `[::1]:port`.
        public var address: String
        public init(address: String) { self.address = address }
    }

    public var http: HTTP?
    public var tcp: TCP?
    public var command: CommandStepParams?
    /// Per attempt; default 5 s.
    public var timeoutSeconds: Double?

    public init(http: HTTP? = nil, tcp: TCP? = nil, command: CommandStepParams? = nil, timeoutSeconds: Double? = nil) {
        self.http = http
        self.tcp = tcp
        self.command = command
        self.timeoutSeconds = timeoutSeconds
    }

    public var kindName: String { http != nil ? "http" : tcp != nil ? "tcp" : "command" }

    public func validate(_ label: String) throws {
        guard [http != nil, tcp != nil, command != nil].filter({ $0 }).count == 1 else {
            throw ShoalError(.stepInvalid, "\(label) needs exactly one of http, tcp or command")
        }
        if let timeout = timeoutSeconds, !(0.001...3600).contains(timeout) {
            throw ShoalError(.stepInvalid, "\(label): timeoutSeconds must be between 0.001 and 3600")
        }
        if let http, !(http.url.hasPrefix("http://") || http.url.hasPrefix("https://")) {
            throw ShoalError(.stepInvalid, "\(label): '\(http.url)' is not an http(s) URL")
        }
        if let tcp, Self.split(tcp.address) == nil {
            throw ShoalError(.stepInvalid, "\(label): '\(tcp.address)' is not host:port")
        }
    }

    public static func split(_ address: String) -> (host: String, port: Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }
}

/// A recurring node check from the agent config, reported with every heartbeat.
///
/// ```yaml
/// health_checks:
///   - name: docker
///     interval: 30s
///     command: { script: "docker info >/dev/null" }
///   - name: api
///     http: { url: "http://127.0.0.1:8080/healthz" }
/// ```
public struct NodeHealthCheck: Codable, Sendable, Equatable {
    public var name: String
    public var interval: String?
    public var http: HealthProbeSpec.HTTP?
    public var tcp: HealthProbeSpec.TCP?
    public var command: CommandStepParams?
    public var timeoutSeconds: Double?

    public init(name: String, interval: String? = nil, probe: HealthProbeSpec) {
        self.name = name
        self.interval = interval
        self.http = probe.http
        self.tcp = probe.tcp
        self.command = probe.command
        self.timeoutSeconds = probe.timeoutSeconds
    }

    public var probe: HealthProbeSpec { HealthProbeSpec(http: http, tcp: tcp, command: command, timeoutSeconds: timeoutSeconds) }

    /// Default 30 s.
    public var intervalSeconds: Int {
        get throws { try interval.map(DurationText.seconds) ?? 30 }
    }
}
