import Foundation
import ShoalCore

/// Everything `serve` loads from the data directory: settings, CA, signing key, store.
public struct Fleet: Sendable {
    public var paths: FleetPaths
    public var config: CoordinatorConfig
    public var ca: CertificateAuthority
    public var caPEM: String
    /// Fingerprint of `ca`, recorded with each node certificate it issues.
    public var caFingerprint: String
    /// During a CA rotation: the previous CA (client certificates it issued are still
    /// accepted) and the cross certificate sent with the server certificate (`ca rotate`).
    public var previousCAPEM: String?
    public var crossCertificatePEM: String?
    public var signingKey: BundleSigningKey
    public var store: any FleetStore
    /// Full step output: beside the store (files for SQLite, chunks in PostgreSQL).
    public var outputs: any StepOutputStore
    /// The current trust document (docs/trust.md).
    public var trust: TrustKeeper
    /// The coordinator's own key use, counted (see KeyUseCounter).
    public var keyUse = KeyUseCounter()
    /// This coordinator's HTTP and store timings for `/metrics` (the store reports into it).
    public var metrics = CoordinatorMetrics()

    public static func load(dataDir: String) async throws -> Fleet {
        let paths = FleetPaths(root: dataDir)
        guard FileManager.default.fileExists(atPath: paths.config) else {
            throw ShoalError(.fleetMissing, "no fleet in \(dataDir): run 'coordinator init --data-dir \(dataDir)' first")
        }
        let config = try CoordinatorConfig.parse(yaml: SecureFile.read(paths.config), source: paths.config)
        let caPEM = try SecureFile.read(paths.caCertificate)
        let ca = try CertificateAuthority(certificatePEM: caPEM, keyPEM: SecureFile.read(paths.caKey))
        let signingKey = try BundleSigningKey(fileText: SecureFile.read(paths.bundleSigningKey))
        let metrics = CoordinatorMetrics()
        let store = try await openStore(paths: paths, config: config, timer: metrics)
        return Fleet(
            paths: paths, config: config, ca: ca, caPEM: caPEM, caFingerprint: try ca.certificate.fingerprint,
            previousCAPEM: try Self.readIfPresent(paths.previousCACertificate), crossCertificatePEM: try Self.readIfPresent(paths.crossCertificate),
            signingKey: signingKey, store: store, outputs: Self.outputs(for: store, paths: paths), trust: TrustKeeper(fleetName: config.fleetName), metrics: metrics
        )
    }

    private static func readIfPresent(_ path: String) throws -> String? {
        FileManager.default.fileExists(atPath: path) ? try SecureFile.read(path) : nil
    }

    /// The CAs whose client certificates the API accepts: the current one, and the previous
    /// one until a rotation finishes.
    public var acceptedCABundle: String {
        [caPEM, previousCAPEM].compactMap { $0 }.map { $0.hasSuffix("\n") ? $0 : $0 + "\n" }.joined()
    }

    /// Loads state that needs the store: the current trust document.
    public func prepare() async throws {
        try await trust.load(from: store)
    }

    /// Keys agents trust for bundles: the coordinator's own.
    public var trustedBundleKeys: [TrustedBundleKey] { [signingKey.publicKey] }

    /// The delivery key to sign with: the coordinator's, which the current trust document
    /// must list (else agents would refuse every bundle, and saying so here is clearer).
    public func deliveryKey() throws -> BundleSigningKey {
        let current = try trust.require()
        guard current.document.deliveryKeys.contains(signingKey.publicKey) else {
            throw ShoalError(.trustMissing, "trust document v\(current.document.version) does not list this coordinator's delivery key \(signingKey.publicKey.keyID); have the root add it ('coordinator root add-delivery-key')")
        }
        return signingKey
    }
}
