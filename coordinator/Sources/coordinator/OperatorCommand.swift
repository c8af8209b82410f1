import ArgumentParser
import Foundation
import ShoalCore

struct OperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator", abstract: "Operator credentials: issue, list, revoke, renew.", subcommands: [Create.self, List.self, Revoke.self, Renew.self, Key.self]
    )

    struct Key: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make your operator signing key (on your own machine; it never leaves it).",
            discussion: "A fleet root holder then adds its public half with a scope: coordinator root add-operator NAME --key FILE.pub …"
        )
        @Option(help: "Key file to create (0600); the public half goes beside it as .pub.") var out: String

        func run() async throws {
            try await runReportingErrors {
                let key = try OperatorKeyFile.create(at: out)
                print("""
                signing key \(out) (0600), public half \(OperatorKeyFile.publicPath(for: out)):
                  \(key.publicKey.publicKey)
                Ask a fleet root holder to run: coordinator root add-operator NAME --key \(key.publicKey.publicKey) [--selector …] [--kinds …] [--commands]
                """)
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue an operator credential (admin only): key made here, certificate from the coordinator.",
            discussion: "Writes NAME.key (0600), NAME.crt, ca.crt and operator.yaml into --out; use it with --operator-config. The holder renews it before it expires with 'coordinator operator renew --operator-config DIR/operator.yaml'; an admin revokes it with 'coordinator operator revoke NAME'."
        )
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Operator name (shown in the audit log).") var name: String
        @Option(help: "admin, operator (run and cancel tasks) or viewer (read only).") var role: String = "operator"
        @Option(help: "Days the certificate is valid, 1 to 365; renewals last as long.") var days = OperatorCreateRequest.defaultValidityDays
        @Option(help: "Directory to write the credential into.") var out: String

        func run() async throws {
            try await runReportingErrors {
                guard let role = PeerIdentity.Role(rawValue: role), role.isOperator else {
                    throw ShoalError(.invalidArgument, "--role must be admin, operator or viewer")
                }
                let key = NodeKey()
                let request = OperatorCreateRequest(name: name, role: role, csr: try key.certificateSigningRequestPEM(commonName: name), validityDays: days)
                let response = try await connection.withClient { try await $0.post("/v1/operators", body: request, as: OperatorCreateResponse.self) }
                try SecureFile.makeDirectory(out)
                let directory = (out as NSString).standardizingPath
                try SecureFile.write(key.pemText, to: "\(directory)/\(name).key")
                try SecureFile.write(response.certificate, to: "\(directory)/\(name).crt", mode: 0o644)
                try SecureFile.write(response.caCertificate, to: "\(directory)/ca.crt", mode: 0o644)
                // Their own signing key too: the TLS credential says who talks, this says what may run.
                let signing = try OperatorKeyFile.create(at: "\(directory)/\(name).signing.key")
                let config = """
                url: \(response.url)
                ca_file: \(directory)/ca.crt
                certificate_file: \(directory)/\(name).crt
                key_file: \(directory)/\(name).key
                signing_key: \(directory)/\(name).signing.key

                """
                try SecureFile.write(config, to: "\(directory)/operator.yaml")
                print("\(role.rawValue) credential for \(name) in \(directory); use: coordinator --operator-config \(directory)/operator.yaml …")
                if role != .viewer {
                    print("to let \(name) run tasks, a fleet root holder adds their signing key: coordinator root add-operator \(name) --key \(signing.publicKey.publicKey) [--selector …] [--kinds …] [--commands]")
                }
            }
        }
    }
}
