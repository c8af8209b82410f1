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
    /// Where the certificate came from (`operator renew` writes the renewed one there).
    public var certificateFile: String
    public var keyFile: String

    /// `~/.config/shoal/operator.yaml` or `--operator-config`:
    /// `url`, `ca_file`, `certificate_file`, `key_file`.
    struct FileForm: Codable {
        var url: String
        var caFile: String
        var certificateFile: String
        var keyFile: String
        enum CodingKeys: String, CodingKey {
            case url
            case caFile = "ca_file"
            case certificateFile = "certificate_file"
            case keyFile = "key_file"
        }
    }

    public static func load(dataDir: String?, operatorConfig: String?, url override: String?) throws -> OperatorConnection {
        if let operatorConfig {
            let form = try YAMLConfig.decode(FileForm.self, from: try SecureFile.read(operatorConfig), source: operatorConfig)
            return OperatorConnection(
                url: override ?? form.url, caPEM: try SecureFile.read(form.caFile),
                certificatePEM: try SecureFile.read(form.certificateFile), keyPEM: try SecureFile.read(form.keyFile),
                certificateFile: form.certificateFile, keyFile: form.keyFile
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
            certificateFile: paths.adminCertificate, keyFile: paths.adminKey
        )
    }

    public func client() throws -> APIClient {
        APIClient(baseURL: url, tls: try ClientTLS.mutual(caPEM: caPEM, certificatePEM: certificatePEM, keyPEM: keyPEM))
    }
}
