import Crypto
import Foundation
import ShoalCore
import Testing
import X509

@testable import ShoalCoordinator

/// `coordinator ca server-cert`: the server certificate re-issued by the fleet CA for the same
/// key with names added or removed, refusing what would lock clients out.
@Suite struct ServerCertificateReissueTests {
    let directory = NSTemporaryDirectory() + "shoal-servercert-" + RandomID.make(bytes: 6)
    var paths: FleetPaths { FleetPaths(root: directory) }

    func initialize() throws {
        _ = try FleetInitializer(dataDir: directory, advertiseURL: "https://10.9.8.7:9443", listen: "0.0.0.0:9443", extraNames: ["old.example.net"], force: false).run()
    }

    func names() throws -> [String] {
        try CARotation.names(of: Certificate(pemEncoded: SecureFile.read(paths.serverCertificate)))
    }

    @Test func addsAndRemovesNamesForTheSameKeyFromTheFleetCA() throws {
        try initialize()
        let issued = try ServerCertificateReissue(dataDir: directory).reissue(adding: ["coord-b.example.net", "10.0.0.12", "old.example.net"], removing: [])
        #expect(issued.added == ["coord-b.example.net", "10.0.0.12"])
        #expect(try names() == ["10.9.8.7", "127.0.0.1", "localhost", "old.example.net", "coord-b.example.net", "10.0.0.12"])
        let pem = try SecureFile.read(paths.serverCertificate)
        #expect(CertificateChecks.isIssued(certificatePEM: pem, byCA: try SecureFile.read(paths.caCertificate)))
        let key = try P256.Signing.PrivateKey(pemRepresentation: SecureFile.read(paths.serverKey))
        #expect(try Certificate(pemEncoded: pem).publicKey == Certificate.PublicKey(key.publicKey))
        #expect(abs(issued.notValidAfter.timeIntervalSinceNow - 2 * 365 * 86400) < 600)

        let removed = try ServerCertificateReissue(dataDir: directory).reissue(adding: [], removing: ["old.example.net"])
        #expect(removed.removed == ["old.example.net"])
        #expect(try names() == ["10.9.8.7", "127.0.0.1", "localhost", "coord-b.example.net", "10.0.0.12"])
    }

    @Test func refusesWhatWouldLockClientsOutAndChangesNothing() throws {
        try initialize()
        let before = try SecureFile.read(paths.serverCertificate)
        let reissue = ServerCertificateReissue(dataDir: directory)
        for (adding, removing, says) in [
            (["bad name"], [String](), "neither a DNS name"),
            (["-x.example"], [], "neither a DNS name"),
            ([], ["localhost"], "stays in the server certificate"),
            ([], ["10.9.8.7"], "stays in the server certificate"),
            ([], ["never.example.net"], "is not in the server certificate"),
        ] {
            #expect {
                _ = try reissue.reissue(adding: adding, removing: removing)
            } throws: { error in
                (error as? ShoalError)?.code == .invalidArgument && (error as? ShoalError)?.message.contains(says) == true
            }
        }
        #expect(try SecureFile.read(paths.serverCertificate) == before)
        #expect(throws: ShoalError.self) { _ = try ServerCertificateReissue(dataDir: directory + "-missing").reissue(adding: ["a.example"], removing: []) }
    }
}
