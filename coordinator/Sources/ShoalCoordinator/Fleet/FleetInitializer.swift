import Crypto
import Foundation
import ShoalCore

/// `coordinator init`: makes a new fleet in an empty data directory.
public struct FleetInitializer: Sendable {
    public var paths: FleetPaths
    public var advertiseURL: String
    public var listen: String
    public var extraNames: [String]
    public var force: Bool
    /// Where a small fleet's root key and the admin's operator key go (outside the data
    /// directory); nil: make neither, the root is made elsewhere (`coordinator root init`).
    public var adminDir: String?
    /// The new fleet's name (`fleet-` + 8 random hex digits), chosen before `run` so a
    /// default admin folder can be named after it.
    public var fleetName: String = "fleet-" + RandomID.make(bytes: 4)

    public init(dataDir: String, advertiseURL: String, listen: String, extraNames: [String], force: Bool, adminDir: String? = nil) {
        self.paths = FleetPaths(root: dataDir)
        self.advertiseURL = advertiseURL
        self.listen = listen
        self.extraNames = extraNames
        self.force = force
        self.adminDir = adminDir
    }

    public struct Summary: Sendable {
        public var caFingerprint: String
        public var serverNames: [String]
        public var bundleKeyID: String
        public var fleetName: String
        /// With an admin folder: the root fingerprint agents may pin, and the operator key.
        public var rootFingerprint: String?
        public var operatorKeyPath: String?
    }

    public func run() throws -> Summary {
        guard let url = URL(string: advertiseURL), url.scheme == "https", let host = url.host else {
            throw ShoalError(.invalidArgument, "--advertise '\(advertiseURL)' must be an https:// URL, e.g. https://10.0.0.1:8443")
        }
        let existing = paths.all.filter { FileManager.default.fileExists(atPath: $0) }
        if !existing.isEmpty && !force {
            throw ShoalError(.fleetExists, "\(paths.root) already holds a fleet (\(existing.count) files, e.g. \(existing[0])); use --force to replace it — every enrolled node would have to enroll again")
        }
        if force {
            for file in existing { try? FileManager.default.removeItem(atPath: file) }
            for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: paths.database + suffix) }
        }
        try SecureFile.makeDirectory(paths.root)

        let config = CoordinatorConfig(fleetName: fleetName, advertiseURL: advertiseURL, listen: listen)
        let ca = try CertificateAuthority.create(fleetName: config.fleetName)
        var names = [host, "127.0.0.1", "localhost"]
        for name in extraNames where !names.contains(name) { names.append(name) }
        var seen = Set<String>()
        names = names.filter { seen.insert($0).inserted }
        let serverKey = P256.Signing.PrivateKey()
        let serverCertificate = try ca.issueServerCertificate(publicKey: serverKey.publicKey, names: names)
        let adminKey = NodeKey()
        let adminIdentity = PeerIdentity(role: .admin, name: "admin")
        let adminIssued = Date()
        let adminCertificate = try ca.issueClientCertificate(
            publicKey: .init(adminKey.privateKey.publicKey), identity: adminIdentity,
            validity: TimeInterval(OperatorCreateRequest.defaultValidityDays * 86400), now: adminIssued
        )
        let signingKey = BundleSigningKey()

        try SecureFile.write(ca.privateKey.pemRepresentation + "\n", to: paths.caKey)
        try SecureFile.write(try ca.certificate.pemText, to: paths.caCertificate, mode: 0o644)
        try SecureFile.write(serverKey.pemRepresentation + "\n", to: paths.serverKey)
        try SecureFile.write(try serverCertificate.pemText, to: paths.serverCertificate, mode: 0o644)
        try SecureFile.write(adminKey.pemText, to: paths.adminKey)
        try SecureFile.write(try adminCertificate.pemText, to: paths.adminCertificate, mode: 0o644)
        try SecureFile.write(signingKey.fileText, to: paths.bundleSigningKey)
        try SecureFile.write(signingKey.publicKey.publicKey + "\n", to: paths.bundleSigningPublicKey, mode: 0o644)
        try SecureFile.write(try config.yamlText(), to: paths.config, mode: 0o644)
        let store = try SQLiteFleetStore(path: paths.database)
        // The admin credential is listed and revocable like any other; renewed with 'operator renew --data-dir'.
        try store.recordInitialCredential(
            OperatorCredentialRecord(certificate: adminCertificate, identity: adminIdentity, issuedAt: adminIssued, issuedBy: "coordinator init"),
            audit: AuditRecord(at: adminIssued, actor: "coordinator init", action: "operator.create", detail: "admin admin, serial \(adminCertificate.serialHex), \(OperatorCreateRequest.defaultValidityDays) days")
        )
        chmod(paths.database, 0o600)
        var summary = Summary(
            caFingerprint: try ca.certificate.fingerprint, serverNames: names, bundleKeyID: signingKey.publicKey.keyID, fleetName: config.fleetName
        )
        if let adminDir {
            let admin = try AdminKeys.create(in: adminDir, fleet: config.fleetName, deliveryKey: signingKey.publicKey)
            try store.installSynchronously(admin.trust)
            summary.rootFingerprint = admin.rootFingerprint
            summary.operatorKeyPath = admin.operatorKeyPath
        }
        return summary
    }
}
