import ArgumentParser
import Foundation
import ShoalCoordinator
import ShoalCore

extension OperatorCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List operator credentials (admin only): active, expired or revoked.",
            discussion: "Every certificate 'operator create', 'operator renew' and 'init' issued. A certificate issued by a coordinator from before credentials were recorded is listed from its first use on."
        )
        @OptionGroup var connection: ConnectionOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await runReportingErrors {
                let response = try await connection.withClient { try await $0.get("/v1/operators", as: OperatorListResponse.self) }
                if json { return try printJSON(response) }
                let rows = response.operators.map { credential in
                    var note = "issued by \(credential.issuedBy)"
                    if let renewed = credential.renewalOf { note += ", renews \(renewed)" }
                    if let at = credential.revokedAt { note = "revoked \(Timestamp.format(at)) by \(credential.revokedBy ?? "?"); " + note }
                    return [
                        credential.name, credential.role, credential.status.rawValue, credential.serial,
                        Timestamp.format(credential.issuedAt), Timestamp.format(credential.expiresAt), note,
                    ]
                }
                print(TablePrinter.render(header: ["NAME", "ROLE", "STATUS", "SERIAL", "ISSUED", "EXPIRES", "NOTE"], rows: rows))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke an operator credential (admin only): refused from its next request on.",
            discussion: "NAME revokes every certificate issued under that name (renewals included); --serial revokes one ('operator list' shows serials). The last active admin credential cannot be revoked: issue another admin first. This revokes the TLS credential only (the API refuses it); an operator's signing key in the root-signed trust document is separate: 'coordinator root revoke-operator NAME' stops the tasks and schedules it signed, on the API and on every agent."
        )
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Operator name.") var name: String?
        @Option(help: "Revoke only the certificate with this serial (hex), instead of NAME.") var serial: String?

        func run() async throws {
            try await runReportingErrors {
                guard (name == nil) != (serial == nil) else {
                    throw ShoalError(.invalidArgument, "give either NAME or --serial HEX")
                }
                let response = try await connection.withClient {
                    try await $0.post("/v1/operators/revoke", body: OperatorRevokeRequest(name: name, serial: serial), as: OperatorRevokeResponse.self)
                }
                if response.revoked.isEmpty {
                    print("\(name ?? serial ?? ""): already revoked; nothing changed")
                }
                for credential in response.revoked {
                    print("revoked operator \(credential.name) (\(credential.role)), serial \(credential.serial): its next request is refused (auth.certificate_revoked)")
                }
                for name in response.signingKeyStillTrusted {
                    print("""
                    \(name) still holds a signing key in the trust document: tasks and schedules already signed with it keep running on agents.
                    To stop them, a root holder runs: coordinator root revoke-operator \(name)
                    """)
                }
            }
        }
    }

    struct Renew: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Renew your own operator credential now: same name, role and key.",
            discussion: "Writes the new certificate over the one in use: the certificate_file of --operator-config, or admin.crt with --data-dir. It lasts as long as the one it renews (at most 365 days). The previous certificate stays valid until it expires or is revoked. Every other command renews the credential by itself once it is in the last third of its life (if the certificate file is writable); this one renews at once. An expired credential cannot renew itself: ask an admin for a new one ('operator create')."
        )
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await runReportingErrors {
                let current = try connection.connection()
                let renewed = try await current.renew()
                print("renewed \(renewed.identity.description): \(current.certificateFile) valid until \(Timestamp.format(renewed.expiresAt))")
                if let ca = renewed.movedToCA, let file = current.caFile {
                    print("the fleet CA rotated: \(file) now holds the new CA \(ca)")
                }
            }
        }
    }
}
