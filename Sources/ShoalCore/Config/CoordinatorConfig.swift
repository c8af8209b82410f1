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
    /// Bounds on connections and node-facing routes; absent means every default.
    public var limits: CoordinatorLimits?

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
        case limits
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
    }

    public static let fileName = "coordinator.yaml"

    public static func parse(yaml text: String, source: String) throws -> CoordinatorConfig {
        let config = try YAMLConfig.decode(CoordinatorConfig.self, from: text, source: source)
        for (field, value) in [("heartbeat_interval", config.heartbeatInterval), ("node_ttl", config.nodeTTL), ("down_grace", config.downGrace), ("node_certificate_validity", config.nodeCertificateValidity), ("bundle_expiry", config.bundleExpiry)] {
            do { _ = try DurationText.seconds(value) } catch let error as ShoalError {
                throw ShoalError(.configInvalid, "\(source): \(field): \(error.message)")
            }
        }
        _ = try (config.limits ?? CoordinatorLimits()).resolved(source: source)
        guard HostPort(config.listen) != nil else {
            throw ShoalError(.configInvalid, "\(source): listen '\(config.listen)' must be HOST:PORT")
        }
        return config
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
