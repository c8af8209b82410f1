import Foundation
import Yams

/// `/etc/shoal/agent.yaml`: what an agent needs to find and trust its coordinator.
///
/// ```yaml
/// coordinator_url: https://10.0.0.1:8443    # or coordinator_urls: [https://c1:8443, https://c2:8443]
/// state_dir: /var/lib/shoal-agent
/// ca_file: /etc/shoal/ca.pem          # or ca_fingerprint: sha256:..., or ca_certificate: PEM
/// join_token: shoal_...               # only until the node has enrolled
/// heartbeat_interval: 10s
/// labels: {role: compute}
/// health_checks:                      # optional; results go with every heartbeat
///   - {name: docker, interval: 30s, command: {script: "docker info >/dev/null"}}
/// ```
public struct AgentConfig: Codable, Sendable, Equatable {
    /// One coordinator URL. Give this or `coordinatorURLs`, not both; read `coordinatorURLList`.
    public var coordinatorURL: String?
    /// Several URLs of the same fleet (replicas, or one coordinator reached several ways): the
    /// agent starts at a random one and moves to the next when it cannot reach it.
    public var coordinatorURLs: [String]?
    public var stateDir: String
    public var caFile: String?
    public var caFingerprint: String?
    public var caCertificate: String?
    public var joinToken: String?
    public var heartbeatInterval: String?
    public var pollWait: String?
    /// Labels this node claims for itself, sent at enrollment. The coordinator keeps them as
    /// *claimed* labels (selectors reach them as `claimed.KEY`); the labels that select work
    /// come from the join token and operators.
    public var labels: [String: String]?
    /// Overrides the hostname the node reports (several agents on one machine, tests, demos).
    public var nodeName: String?
    /// The fleet root's fingerprint (`sha256:…`, printed by `coordinator init` and `root init`):
    /// the first trust document must name these roots. Without it the first document is
    /// trusted as the enrollment's answer (trust on first use, under the pinned CA).
    public var trustRoot: String?
    /// Recurring checks whose latest results go with every heartbeat.
    public var healthChecks: [NodeHealthCheck]?

    enum CodingKeys: String, CodingKey {
        case coordinatorURL = "coordinator_url"
        case coordinatorURLs = "coordinator_urls"
        case stateDir = "state_dir"
        case caFile = "ca_file"
        case caFingerprint = "ca_fingerprint"
        case caCertificate = "ca_certificate"
        case joinToken = "join_token"
        case heartbeatInterval = "heartbeat_interval"
        case pollWait = "poll_wait"
        case labels
        case nodeName = "node_name"
        case trustRoot = "trust_root"
        case healthChecks = "health_checks"
    }

    public init(coordinatorURL: String, stateDir: String) {
        self.coordinatorURL = coordinatorURL
        self.stateDir = stateDir
    }

    /// One URL is written as `coordinator_url`, so a single-URL config reads as it always did;
    /// more as `coordinator_urls`.
    public init(coordinatorURLs urls: [String], stateDir: String) {
        if urls.count == 1 { self.coordinatorURL = urls[0] } else { self.coordinatorURLs = urls }
        self.stateDir = stateDir
    }

    /// The coordinator URLs to use, whichever of the two keys gave them (empty only in a config
    /// that `validate` refuses).
    public var coordinatorURLList: [String] {
        coordinatorURLs ?? coordinatorURL.map { [$0] } ?? []
    }

    public static let defaultPath = "/etc/shoal/agent.yaml"
    public static let defaultStateDir = "/var/lib/shoal-agent"

    public var heartbeatSeconds: Int {
        get throws { try heartbeatInterval.map(DurationText.seconds) ?? 10 }
    }

    public var pollWaitSeconds: Int {
        get throws { try pollWait.map(DurationText.seconds) ?? 25 }
    }

    /// Parses and validates; every problem names the field and what to put there.
    public static func parse(yaml text: String, source: String = "agent config") throws -> AgentConfig {
        let config = try YAMLConfig.decode(AgentConfig.self, from: text, source: source)
        try config.validate(source: source)
        return config
    }

    public static func load(path: String) throws -> AgentConfig {
        try parse(yaml: SecureFile.read(path), source: path)
    }

    public func validate(source: String = "agent config") throws {
        try validateCoordinatorURLs(source: source)
        guard !stateDir.isEmpty else {
            throw ShoalError(.configInvalid, "\(source): state_dir must not be empty")
        }
        do {
            _ = try heartbeatSeconds
            _ = try pollWaitSeconds
        } catch let error as ShoalError {
            throw ShoalError(.configInvalid, "\(source): \(error.message)")
        }
        for (key, value) in labels ?? [:] {
            do { try LabelText.validate(key: key, value: value) } catch let error as ShoalError {
                throw ShoalError(.configInvalid, "\(source): labels: \(error.message)")
            }
        }
        if let nodeName {
            do { try HostnameText.validate(nodeName, field: "node_name") } catch let error as ShoalError {
                throw ShoalError(.configInvalid, "\(source): \(error.message)")
            }
        }
        var names: Set<String> = []
        for check in healthChecks ?? [] {
            let label = "\(source): health check '\(check.name)'"
            guard !check.name.isEmpty, names.insert(check.name).inserted else {
                throw ShoalError(.configInvalid, "\(source): every health check needs a unique name")
            }
            do {
                try check.probe.validate(label)
                guard try check.intervalSeconds >= 1 else { throw ShoalError(.configInvalid, "\(label): interval must be at least 1s") }
            } catch let error as ShoalError {
                throw ShoalError(.configInvalid, error.message)
            }
        }
        if try heartbeatSeconds < 1 {
            throw ShoalError(.configInvalid, "\(source): heartbeat_interval must be at least 1s")
        }
    }

    private func validateCoordinatorURLs(source: String) throws {
        switch (coordinatorURL, coordinatorURLs) {
        case (nil, nil):
            throw ShoalError(.configInvalid, "\(source): coordinator_url is missing: set it to the coordinator's https:// URL (or list several under coordinator_urls)")
        case (.some, .some):
            throw ShoalError(.configInvalid, "\(source): both coordinator_url and coordinator_urls are set: keep one (coordinator_urls can hold a single URL too)")
        case (.some(let url), nil):
            try Self.validateCoordinatorURL(url, field: "coordinator_url", source: source)
        case (nil, .some(let urls)):
            guard !urls.isEmpty else {
                throw ShoalError(.configInvalid, "\(source): coordinator_urls is empty: list at least one https:// URL of the coordinator")
            }
            guard Set(urls).count == urls.count else {
                throw ShoalError(.configInvalid, "\(source): coordinator_urls lists a URL twice: list each once")
            }
            for (index, url) in urls.enumerated() {
                try Self.validateCoordinatorURL(url, field: "coordinator_urls[\(index)]", source: source)
            }
        }
    }

    private static func validateCoordinatorURL(_ text: String, field: String, source: String) throws {
        guard let url = URL(string: text), url.scheme == "https", url.host != nil else {
            throw ShoalError(.configInvalid, "\(source): \(field) '\(text)' must be an https:// URL with a host")
        }
        // The agent reports the URL it uses in every heartbeat, which bounds it.
        guard text.utf8.count <= HeartbeatRequest.maxCoordinatorURLBytes else {
            throw ShoalError(.configInvalid, "\(source): \(field) is longer than \(HeartbeatRequest.maxCoordinatorURLBytes) bytes: use a shorter name or an address")
        }
    }

    public func yamlText() throws -> String { try YAMLEncoder().encode(self) }
}
