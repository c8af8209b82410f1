import ShoalCore

/// The coordinator's data directory and everything in it.
///
/// ```
/// coordinator.yaml        settings (listen, advertise URL, liveness, validity)
/// ca.crt  ca.key          the fleet CA (key 0600)
/// ca.next.crt ca.next.key the next CA during a rotation (`ca new`), until `ca activate`
/// ca.previous.crt         the CA before the last rotation, still trusted for client
///                         certificates until `ca finish` (its key is gone)
/// ca.cross.crt            the current CA certified by the previous one, sent with the server
///                         certificate so agents that know only the old CA still connect
/// server.crt server.key   the API's TLS certificate (SANs: advertise host + --san)
/// bundle-signing.key      Ed25519 key that signs deliveries (0600); .pub beside it
/// bundle-signing.next.*   a new delivery key during rotation; bundle-signing.retired-*.key after
/// admin.crt admin.key     the operator credential the CLI uses (role admin)
/// fleet.db                SQLite state (WAL)
/// output/                 full step output per task and node (each stream capped)
/// ```
public struct FleetPaths: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    public var config: String { root + "/" + CoordinatorConfig.fileName }
    public var caCertificate: String { root + "/ca.crt" }
    public var caKey: String { root + "/ca.key" }
    public var nextCACertificate: String { root + "/ca.next.crt" }
    public var nextCAKey: String { root + "/ca.next.key" }
    public var previousCACertificate: String { root + "/ca.previous.crt" }
    public var crossCertificate: String { root + "/ca.cross.crt" }
    public var serverCertificate: String { root + "/server.crt" }
    public var serverKey: String { root + "/server.key" }
    public var bundleSigningKey: String { root + "/bundle-signing.key" }
    public var bundleSigningPublicKey: String { root + "/bundle-signing.pub" }
    /// A delivery key made for rotation, waiting for the root to list it (`delivery-key new`).
    public var nextBundleSigningKey: String { root + "/bundle-signing.next.key" }
    public var nextBundleSigningPublicKey: String { root + "/bundle-signing.next.pub" }
    public var adminCertificate: String { root + "/admin.crt" }
    public var adminKey: String { root + "/admin.key" }
    public var database: String { root + "/fleet.db" }
    /// Full step output nodes uploaded: `output/<task>/<delivery>/step-N.stdout|stderr`.
    public var outputDirectory: String { root + "/output" }

    public var all: [String] {
        [config, caCertificate, caKey, serverCertificate, serverKey, bundleSigningKey, bundleSigningPublicKey, adminCertificate, adminKey, database]
    }
}
