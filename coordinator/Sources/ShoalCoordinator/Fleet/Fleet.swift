import Foundation
import ShoalCore

/// Everything `serve` loads from the data directory: settings, CA, signing key, store.
public struct Fleet: Sendable {
    public var paths: FleetPaths
    public var config: CoordinatorConfig
    public var ca: CertificateAuthority
    public var caPEM: String
    public var signingKey: BundleSigningKey
    public var store: any FleetStore
    /// The coordinator's own key use, counted (see KeyUseCounter).
    public var keyUse = KeyUseCounter()

    public static func load(dataDir: String) throws -> Fleet {
        let paths = FleetPaths(root: dataDir)
        guard FileManager.default.fileExists(atPath: paths.config) else {
            throw ShoalError(.fleetMissing, "no fleet in \(dataDir): run 'coordinator init --data-dir \(dataDir)' first")
        }
        let config = try CoordinatorConfig.parse(yaml: SecureFile.read(paths.config), source: paths.config)
        let caPEM = try SecureFile.read(paths.caCertificate)
        let ca = try CertificateAuthority(certificatePEM: caPEM, keyPEM: SecureFile.read(paths.caKey))
        let signingKey = try BundleSigningKey(fileText: SecureFile.read(paths.bundleSigningKey))
        let store = try SQLiteFleetStore(path: paths.database)
        return Fleet(paths: paths, config: config, ca: ca, caPEM: caPEM, signingKey: signingKey, store: store)
    }

    /// Keys agents trust for bundles: the coordinator's own.
    public var trustedBundleKeys: [TrustedBundleKey] { [signingKey.publicKey] }
}
