import Foundation
import ShoalClient
import ShoalCore

/// How the operator CLI reaches the running coordinator: its URL, the CA to trust and an
/// operator certificate. Found in `--data-dir` (the admin credential `init` made) or in an
/// operator config file. The CLI never opens the database: the server owns it.
public struct OperatorConnection: Sendable {
    public var url: String
    public var caPEM: String
    public var certificatePEM: String
    public var keyPEM: String
    /// Where this operator's signing key is expected unless the command line says otherwise:
    /// the operator config's `signing_key`, or `~/.shoal/FLEET/operator.key` for `--data-dir`
    /// (where `coordinator init` puts the admin's).
    public var signingKeyPath: String?
    /// Where the certificate came from (`operator renew` writes the renewed one there).
    public var certificateFile: String
    public var keyFile: String
    /// The operator config's `ca_file`, which a renewal after a CA rotation updates; nil with
    /// `--data-dir`, whose `ca.crt` is the coordinator's own and never written by the CLI.
    public var caFile: String? = nil

    /// `~/.config/shoal/operator.yaml` or `--operator-config`:
    /// `url`, `ca_file`, `certificate_file`, `key_file`.
    struct FileForm: Codable {
        var url: String
        var caFile: String
        var certificateFile: String
        var keyFile: String
        var signingKey: String?
        enum CodingKeys: String, CodingKey {
            case url
            case caFile = "ca_file"
            case certificateFile = "certificate_file"
            case keyFile = "key_file"
            case signingKey = "signing_key"
        }
    }

    public static func load(dataDir: String?, operatorConfig: String?, url override: String?) throws -> OperatorConnection {
        if let operatorConfig {
            let form = try YAMLConfig.decode(FileForm.self, from: try SecureFile.read(operatorConfig), source: operatorConfig)
            return OperatorConnection(
                url: override ?? form.url, caPEM: try SecureFile.read(form.caFile),
                certificatePEM: try SecureFile.read(form.certificateFile), keyPEM: try SecureFile.read(form.keyFile),
                signingKeyPath: form.signingKey,
                certificateFile: form.certificateFile, keyFile: form.keyFile, caFile: form.caFile
            )
        }
        guard let dataDir else {
            throw ShoalError(.invalidArgument, "say where the fleet is: --data-dir DIR (or SHOAL_DATA_DIR), or --operator-config FILE")
        }
        let paths = FleetPaths(root: dataDir)
        guard FileManager.default.fileExists(atPath: paths.config) else {
            throw ShoalError(.fleetMissing, "no fleet in \(dataDir): run 'coordinator init --data-dir \(dataDir)' first, or pass the right --data-dir")
        }
        let config = try CoordinatorConfig.parse(yaml: SecureFile.read(paths.config), source: paths.config)
        return OperatorConnection(
            url: override ?? config.advertiseURL, caPEM: try SecureFile.read(paths.caCertificate),
            certificatePEM: try SecureFile.read(paths.adminCertificate), keyPEM: try SecureFile.read(paths.adminKey),
            signingKeyPath: AdminKeys.defaultFolder(fleet: config.fleetName) + "/operator.key",
            certificateFile: paths.adminCertificate, keyFile: paths.adminKey
        )
    }

    /// What a task file may never carry, whatever its `source:` says: the fleet's data
    /// directory (CA, signing and admin keys) and the operator credential in use.
    public static func protectedPaths(dataDir: String?, operatorConfig: String?, signingKey: String? = nil) -> [String] {
        var paths = dataDir.map { [$0] } ?? []
        if let operatorConfig {
            paths.append(operatorConfig)
            if let text = try? SecureFile.read(operatorConfig), let form = try? YAMLConfig.decode(FileForm.self, from: text, source: operatorConfig) {
                paths.append(form.keyFile)
                if let key = form.signingKey { paths.append(key) }
            }
        }
        // Signing keys and the admin folder (root keys) are never carried either.
        if let signingKey { paths.append(signingKey) }
        if let key = ProcessInfo.processInfo.environment["SHOAL_SIGNING_KEY"], !key.isEmpty { paths.append(key) }
        if let dataDir, let config = try? CoordinatorConfig.parse(yaml: SecureFile.read(FleetPaths(root: dataDir).config), source: dataDir) {
            paths.append(AdminKeys.defaultFolder(fleet: config.fleetName))
        }
        return paths
    }

    public func client() throws -> APIClient {
        APIClient(baseURL: url, tls: try ClientTLS.mutual(caPEM: caPEM, certificatePEM: certificatePEM, keyPEM: keyPEM))
    }
}
