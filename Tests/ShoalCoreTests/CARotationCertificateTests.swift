import Foundation
import ShoalCore
import Testing
import X509

/// The certificate pieces of a fleet CA rotation: the cross certificate, CA lists in the
/// trust document, and CA bundles wherever a CA is checked.
struct CARotationCertificateTests {
    @Test func theCrossCertificateNamesTheNewCAAndVerifiesUnderTheOld() throws {
        let old = try CertificateAuthority.create(fleetName: "f")
        let new = try CertificateAuthority.create(fleetName: "f", generation: "2026-11-30-ab12")
        let cross = try old.crossCertify(new.certificate)
        #expect(cross.subject == new.certificate.subject)
        #expect(cross.issuer == old.certificate.subject)
        #expect(cross.publicKey == new.certificate.publicKey)
        #expect(cross.notValidAfter <= new.certificate.notValidAfter && cross.notValidAfter <= old.certificate.notValidAfter)
        #expect(CertificateChecks.isIssued(certificatePEM: try cross.pemText, byCA: try old.certificate.pemText))
        #expect(!CertificateChecks.isIssued(certificatePEM: try cross.pemText, byCA: try new.certificate.pemText))
        guard case .isCertificateAuthority = try cross.extensions.basicConstraints else {
            Issue.record("the cross certificate must be a CA certificate")
            return
        }
    }

    @Test func aCAOfTheSameNameCannotBeCrossCertified() throws {
        let old = try CertificateAuthority.create(fleetName: "f")
        let twin = try CertificateAuthority.create(fleetName: "f")
        #expect(throws: ShoalError.self) { try old.crossCertify(twin.certificate) }
    }

    @Test func aCertificateIsIssuedByABundleWhenAnyCAInItIssuedIt() throws {
        let old = try CertificateAuthority.create(fleetName: "f")
        let new = try CertificateAuthority.create(fleetName: "f", generation: "g2")
        let leaf = try new.issueClientCertificate(publicKey: .init(NodeKey().privateKey.publicKey), identity: PeerIdentity(role: .node, name: "n-1"), validity: 3600)
        let bundle = try old.certificate.pemText + new.certificate.pemText
        #expect(CertificateChecks.isIssued(certificatePEM: try leaf.pemText, byCA: bundle))
        #expect(!CertificateChecks.isIssued(certificatePEM: try leaf.pemText, byCA: try old.certificate.pemText))
        #expect(try CertificateChecks.fingerprints(pem: bundle) == [try old.certificate.fingerprint, try new.certificate.fingerprint])
    }

    @Test func aTrustDocumentListsOnlyDistinctCACertificatesAndAtLeastOne() throws {
        let old = try CertificateAuthority.create(fleetName: "f")
        let new = try CertificateAuthority.create(fleetName: "f", generation: "g2")
        let leaf = try new.issueClientCertificate(publicKey: .init(NodeKey().privateKey.publicKey), identity: PeerIdentity(role: .node, name: "n-1"), validity: 3600)
        let root = BundleSigningKey()
        var document = TrustDocument.initial(
            fleet: "f", roots: .init(threshold: 1, keys: [root.publicKey]), deliveryKeys: [BundleSigningKey().publicKey], operators: []
        )
        document.caCertificates = [try old.certificate.pemText, try new.certificate.pemText]
        try document.validateShape()
        #expect(document.caBundle == (try old.certificate.pemText) + (try new.certificate.pemText))

        let refused: [(String, [String])] = [
            ("an empty CA set", []),
            ("is not a CA certificate", [try leaf.pemText]),
            ("listed twice", [try old.certificate.pemText, try old.certificate.pemText]),
            ("is not a PEM certificate", ["garbage"]),
            ("at most", Array(repeating: try old.certificate.pemText, count: TrustDocument.maxCACertificates + 1)),
        ]
        for (message, list) in refused {
            document.caCertificates = list
            let error = #expect(throws: ShoalError.self) { try document.validateShape() }
            #expect(error?.code == .trustMalformed && error?.message.contains(message) == true, "\(message): \(error?.message ?? "")")
        }
        document.caCertificates = nil
        try document.validateShape()
        #expect(document.caBundle == nil)
    }
}
