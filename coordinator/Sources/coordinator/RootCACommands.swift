import ArgumentParser
import Foundation
import ShoalCoordinator
import ShoalCore
import X509

/// The trust document's CA list: which fleet CAs agents trust for TLS. Rotation adds the
/// next CA before the coordinator switches to it (`ca activate`) and removes the old one after
/// (`ca finish`), so agents never need their CA replaced by hand.
extension RootCommand {
    struct AddCA: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-ca",
            abstract: "List another fleet CA certificate agents trust (CA rotation: add the new, later remove the old).",
            discussion: "When the document lists no CA yet (agents use the one pinned at enrollment), the CA this command trusts the coordinator with is listed too, so nothing is dropped."
        )
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var keys: RootKeyOptions
        @OptionGroup var edit: TrustEditOptions
        @Option(help: "The CA certificate to add (PEM file, e.g. ca.next.crt from 'coordinator ca new').") var cert: String

        func run() async throws {
            try await runReportingErrors {
                let added = try Self.singleCertificate(SecureFile.read(cert), from: cert)
                let fingerprint = try CertificateChecks.fingerprint(pem: added)
                // Read outside the edit: the CA the CLI trusts the coordinator with is the one
                // the fleet uses now.
                let pinned = try? connection.connection().caPEM
                try await edit.edit(connection, keys: keys) { document in
                    var list = document.caCertificates ?? []
                    if list.isEmpty {
                        guard let pinned else {
                            throw ShoalError(.invalidArgument, "trust document v\(document.version - 1) lists no CA yet and this command has no CA file to start from; pass --data-dir or --operator-config")
                        }
                        list = try Certificate.all(fromPEM: pinned).map { try $0.pemText }
                    }
                    guard try !list.map({ try CertificateChecks.fingerprint(pem: $0) }).contains(fingerprint) else {
                        throw ShoalError(.conflict, "trust document v\(document.version - 1) already lists CA \(fingerprint); nothing to publish")
                    }
                    document.caCertificates = list + [added]
                }
            }
        }

        /// The file must hold exactly one CA certificate: a bundle would list more than was meant.
        static func singleCertificate(_ text: String, from file: String) throws -> String {
            let certificates = (try? Certificate.all(fromPEM: text)) ?? []
            guard certificates.count == 1, let certificate = certificates.first else {
                throw ShoalError(.invalidArgument, "\(file) must hold exactly one PEM certificate, found \(certificates.count)")
            }
            guard case .isCertificateAuthority = try? certificate.extensions.basicConstraints else {
                throw ShoalError(.invalidArgument, "\(file) is not a CA certificate (no CA basic constraints); pass the ca.next.crt that 'coordinator ca new' wrote")
            }
            return try certificate.pemText
        }
    }

    struct RemoveCA: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove-ca",
            abstract: "Stop trusting a fleet CA (by fingerprint), after 'coordinator ca finish'."
        )
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var keys: RootKeyOptions
        @OptionGroup var edit: TrustEditOptions
        @Argument(help: "The CA's fingerprint (sha256:…), as 'ca finish' or 'root show' prints it.") var fingerprint: String

        func run() async throws {
            try await runReportingErrors {
                let wanted = FingerprintText.normalise(fingerprint)
                // The CA the coordinator issues with now must stay listed, or agents would trust
                // no server it can present: remove the old CA only after 'ca activate' and 'ca finish'.
                let serving = try await connection.withClient { try await $0.get("/v1/ca", as: CAResponse.self) }.fingerprint
                guard FingerprintText.normalise(serving) != wanted else {
                    throw ShoalError(.conflict, "\(serving) is the CA the coordinator issues with now; removing it would lock every agent out — run 'coordinator ca activate' (and 'ca finish') first, then remove the old CA")
                }
                try await edit.edit(connection, keys: keys) { document in
                    let list = document.caCertificates ?? []
                    let listed = try list.map { try CertificateChecks.fingerprint(pem: $0) }
                    guard let index = listed.firstIndex(where: { FingerprintText.normalise($0) == wanted }) else {
                        throw ShoalError(.notFound, "trust document v\(document.version - 1) lists no CA \(fingerprint) (lists: \(listed.isEmpty ? "none" : listed.joined(separator: ", ")))")
                    }
                    // Agents would trust no server at all: rotation adds the new CA first.
                    guard list.count > 1 else {
                        throw ShoalError(.conflict, "\(listed[index]) is the only CA listed; add the new one first ('coordinator ca new', 'root add-ca')")
                    }
                    document.caCertificates = list.enumerated().filter { $0.offset != index }.map(\.element)
                }
            }
        }
    }
}
