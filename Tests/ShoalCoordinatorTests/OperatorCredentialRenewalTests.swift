import Foundation
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// When the CLI renews its own credential by itself (`OperatorConnection.renewedIfDue`): in
/// the last third of the certificate's life only, and a renewal that fails leaves the
/// credential as it was. The coordinator here is an address nothing listens on, so any
/// attempt to renew shows up as a note.
@Suite final class OperatorCredentialRenewalTests {
    let directory = NSTemporaryDirectory() + "shoal-renewal-" + RandomID.make(bytes: 6)

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func connection(validity: TimeInterval, issued: Date) throws -> OperatorConnection {
        try SecureFile.makeDirectory(directory)
        let ca = try CertificateAuthority.create(fleetName: "renewal")
        let key = NodeKey()
        let certificate = try ca.issueClientCertificate(
            csr: .parse(pem: try key.certificateSigningRequestPEM(commonName: "nina")), identity: PeerIdentity(role: .operator, name: "nina"),
            validity: validity, now: issued
        )
        let pem = try certificate.pemText
        try SecureFile.write(pem, to: directory + "/nina.crt", mode: 0o644)
        return OperatorConnection(
            url: "https://127.0.0.1:1", caPEM: try ca.certificate.pemText, certificatePEM: pem, keyPEM: key.pemText,
            signingKeyPath: nil, certificateFile: directory + "/nina.crt", keyFile: directory + "/nina.key"
        )
    }

    @Test func renewalIsDueInTheLastThirdOfTheCertificatesLife() throws {
        let issued = Date()
        let due = try #require(try connection(validity: 90 * 86400, issued: issued).renewalDue)
        #expect(abs(due.timeIntervalSince(issued) - 60 * 86400) < 600)
    }

    @Test func aFreshCertificateIsNotRenewed() async throws {
        let fresh = try connection(validity: 90 * 86400, issued: Date().addingTimeInterval(-50 * 86400))
        var notes: [String] = []
        let after = await fresh.renewedIfDue { notes.append($0) }
        #expect(notes.isEmpty)
        #expect(after.certificatePEM == fresh.certificatePEM)
    }

    @Test func anExpiredCertificateIsNotRenewed() async throws {
        let expired = try connection(validity: 60, issued: Date().addingTimeInterval(-3600))
        var notes: [String] = []
        _ = await expired.renewedIfDue { notes.append($0) }
        #expect(notes.isEmpty)
    }

    @Test func aRenewalThatFailsIsReportedAndChangesNothing() async throws {
        let due = try connection(validity: 90 * 86400, issued: Date().addingTimeInterval(-70 * 86400))
        var notes: [String] = []
        let after = await due.renewedIfDue { notes.append($0) }
        #expect(notes.count == 1)
        #expect(notes.first?.contains("could not renew your operator certificate") == true)
        #expect(after.certificatePEM == due.certificatePEM)
        #expect(try SecureFile.read(directory + "/nina.crt") == due.certificatePEM)
    }
}
