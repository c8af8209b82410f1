import Foundation
import Yams

/// `DATA_DIR/coordinator.yaml`, written by `coordinator init` and read by `serve` and the CLI.
public struct CoordinatorConfig: Codable, Sendable, Equatable {
    public var fleetName: String
    /// The URL agents and the CLI dial; its host is one of the server certificate's SANs.
    public var advertiseURL: String
    public var listen: String
    public var heartbeatInterval: String
    /// A node is `down` after this long without a heartbeat plus `downGrace`.
    public var nodeTTL: String
    public var downGrace: String
    public var nodeCertificateValidity: String
    public var maxBodyBytes: Int
    /// How long a bundle stays valid after it is queued when the task does not say.
    public var bundleExpiry: String
    /// What is kept of finished work, and for how long; absent in configs written before it
    /// existed, which get the defaults (see `retentionSettings`).
    public var retention: RetentionConfig?
    /// Bounds on connections and node-facing routes; absent means every default.
    public var limits: CoordinatorLimits?
    /// A second, plain-HTTP listener (`HOST:PORT`) that serves only `GET /metrics`, for a
    /// Prometheus that cannot present a client certificate; absent (the default): none, and
    /// scraping needs a viewer-or-better certificate on `listen`. Anyone who can reach it
    /// reads the fleet's hostnames and load, so bind it to loopback or a monitoring network.
    public var metricsListen: String?
    /// Where the fleet's state lives (`DatabaseURL`); absent: `fleet.db` in the data directory.
    /// May hold a password: coordinator.yaml is readable by the coordinator's user only.
    public var database: String?
    /// How long a replica's claim on a rollout lasts without renewal (renewed every third of
    /// it): how long the rollouts of a replica that died wait before another takes them over.
    /// Absent: 60s.
    public var workLease: String?

    enum CodingKeys: String, CodingKey {
        case fleetName = "fleet_name"
        case advertiseURL = "advertise_url"
        case listen
        case heartbeatInterval = "heartbeat_interval"
        case nodeTTL = "node_ttl"
        case downGrace = "down_grace"
        case nodeCertificateValidity = "node_certificate_validity"
        case maxBodyBytes = "max_body_bytes"
        case bundleExpiry = "bundle_expiry"
        case retention
        case limits
        case metricsListen = "metrics_listen"
        case database
        case workLease = "work_lease"
    }

    public init(fleetName: String, advertiseURL: String, listen: String) {
        self.fleetName = fleetName
        self.advertiseURL = advertiseURL
        self.listen = listen
        self.heartbeatInterval = "10s"
        self.nodeTTL = "30s"
        self.downGrace = "15s"
        self.nodeCertificateValidity = "90d"
        self.maxBodyBytes = 4 * 1024 * 1024
        self.bundleExpiry = "1h"
        self.retention = RetentionConfig()
    }

    /// The retention in force: the file's, or the defaults.
    public var retentionSettings: RetentionConfig { retention ?? RetentionConfig() }

    public static let fileName = "coordinator.yaml"

    public static func parse(yaml text: String, source: String) throws -> CoordinatorConfig {
        let config = try YAMLConfig.decode(CoordinatorConfig.self, from: text, source: source)
        for (field, value) in [("heartbeat_interval", config.heartbeatInterval), ("node_ttl", config.nodeTTL), ("down_grace", config.downGrace), ("node_certificate_validity", config.nodeCertificateValidity), ("bundle_expiry", config.bundleExpiry)] {
            do { _ = try DurationText.seconds(value) } catch let error as ShoalError {
                throw ShoalError(.configInvalid, "\(source): \(field): \(error.message)")
            }
        }
        try config.retention?.validate(source: source)
        _ = try (config.limits ?? CoordinatorLimits()).resolved(source: source)
        guard HostPort(config.listen) != nil else {
            throw ShoalError(.configInvalid, "\(source): listen '\(config.listen)' must be HOST:PORT")
        }
        if let metricsListen = config.metricsListen {
            guard HostPort(metricsListen) != nil else {
                throw ShoalError(.configInvalid, "\(source): metrics_listen '\(metricsListen)' must be HOST:PORT (for example 127.0.0.1:9464), or be left out for no plain-HTTP metrics listener")
            }
            guard metricsListen != config.listen else {
                throw ShoalError(.configInvalid, "\(source): metrics_listen '\(metricsListen)' is the API's own listen address; give the metrics listener a port of its own")
            }
        }
        if let database = config.database { _ = try DatabaseURL(database, source: source) }
        if let lease = config.workLease {
            guard let seconds = try? DurationText.seconds(lease), seconds >= 3 else {
                throw ShoalError(.configInvalid, "\(source): work_lease '\(lease)' must be a duration of at least 3s (for example 60s); leave it out for 60s")
            }
        }
        return config
    }

    /// The PostgreSQL server in `database:`, nil for the SQLite default (checked by `parse`).
    public func databaseURL(source: String = fileName) throws -> DatabaseURL? {
        try database.map { try DatabaseURL($0, source: source) }
    }

    /// `work_lease` in seconds (checked by `parse`).
    public var workLeaseSeconds: TimeInterval {
        TimeInterval(workLease.flatMap { try? DurationText.seconds($0) } ?? 60)
    }

    public func yamlText() throws -> String { try YAMLEncoder().encode(self) }

    /// The limits in force (checked by `parse`, so this cannot fail for a loaded config).
    public var resolvedLimits: CoordinatorLimits.Resolved {
        (try? (limits ?? CoordinatorLimits()).resolved(source: Self.fileName)) ?? CoordinatorLimits.defaults
    }

    public func seconds(_ keyPath: KeyPath<CoordinatorConfig, String>) -> Int {
        (try? DurationText.seconds(self[keyPath: keyPath])) ?? 0
    }
}

/// `HOST:PORT` as typed on a command line (`[::1]:8443` for IPv6).
public struct HostPort: Sendable, Equatable {
    public var host: String
    public var port: Int

    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            return nil // an IPv6 address needs brackets: [::1]:8443
        }
        guard !host.isEmpty else { return nil }
        self.host = host
        self.port = port
    }
}
