import ArgumentParser
import Foundation
import Logging
import ShoalClient
import ShoalCoordinator
import ShoalCommandLine
import ShoalCore

/// Where the CLI finds the fleet it talks to.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Coordinator data directory (default: $SHOAL_DATA_DIR).")
    var dataDir: String?
    @Option(name: .customLong("operator-config"), help: "Operator config (url, ca_file, certificate_file, key_file) instead of --data-dir.")
    var operatorConfig: String?
    @Option(help: "Coordinator URL, overriding the configured one.")
    var url: String?
    @Option(name: .customLong("signing-key"), help: "Your operator signing key, for commands that sign (default: $SHOAL_SIGNING_KEY, the operator config's signing_key, or ~/.shoal/FLEET/operator.key with --data-dir).")
    var signingKey: String?

    func connection() throws -> OperatorConnection {
        try OperatorConnection.load(dataDir: fleetDataDir, operatorConfig: operatorConfig, url: url)
    }

    /// `--data-dir`, else `$SHOAL_DATA_DIR`.
    var fleetDataDir: String? { dataDir ?? ProcessInfo.processInfo.environment["SHOAL_DATA_DIR"] }

    /// Paths no task file may carry (see `OperatorConnection.protectedPaths`).
    var protectedPaths: [String] { OperatorConnection.protectedPaths(dataDir: fleetDataDir, operatorConfig: operatorConfig, signingKey: signingKey) }

    func client() throws -> APIClient {
        try connection().client()
    }

    /// The operator's signer, for commands that send signed statements.
    func signer() throws -> OperatorSigner {
        try OperatorSigner.load(connection: connection(), explicitPath: signingKey)
    }

    /// Runs `body` with a client and always shuts the client down. A certificate in the last
    /// third of its life is renewed first (`OperatorConnection.renewedIfDue`); what happened is
    /// said on stderr, so stdout stays the command's own.
    func withClient<T>(_ body: (APIClient) async throws -> T) async throws -> T {
        let current = try await connection().renewedIfDue { note in
            FileHandle.standardError.write(Data("note: \(note)\n".utf8))
        }
        let client = try current.client()
        do {
            let value = try await body(client)
            await client.shutdown()
            return value
        } catch {
            await client.shutdown()
            throw error
        }
    }
}

/// Runs a command body with the shared error reporting (see `CommandLineSupport`).
func runReportingErrors(_ body: () async throws -> Void) async throws {
    try await CommandLineSupport.run(body)
}

func printJSON<T: Encodable>(_ value: T) throws {
    print(String(decoding: try WireCoding.encode(value, pretty: true), as: UTF8.self))
}
