import Foundation
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// `coordinator init`: what it makes, with which modes, and that it never overwrites a fleet
/// unless told to.
@Suite struct FleetInitializerTests {
    let directory = NSTemporaryDirectory() + "shoal-init-" + RandomID.make(bytes: 6)

    func initialize(force: Bool = false, names: [String] = []) throws -> FleetInitializer.Summary {
        try FleetInitializer(dataDir: directory, advertiseURL: "https://10.9.8.7:9443", listen: "0.0.0.0:9443", extraNames: names, force: force).run()
    }

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    @Test func makesEveryPieceWithPrivateKeys() async throws {
        let summary = try initialize(names: ["coord.example.net", "::1"])
        let paths = FleetPaths(root: directory)
        for file in paths.all { #expect(FileManager.default.fileExists(atPath: file), "\(file)") }
        for secret in [paths.caKey, paths.serverKey, paths.adminKey, paths.bundleSigningKey, paths.database] {
            #expect(try mode(secret) == 0o600, "\(secret)")
        }
        #expect(summary.serverNames == ["10.9.8.7", "127.0.0.1", "localhost", "coord.example.net", "::1"])
        let fleet = try await Fleet.load(dataDir: directory)
        #expect(fleet.config.advertiseURL == "https://10.9.8.7:9443")
        #expect(try fleet.ca.certificate.fingerprint == summary.caFingerprint)
        #expect(fleet.signingKey.publicKey.keyID == summary.bundleKeyID)
        #expect(CertificateChecks.isIssued(certificatePEM: try SecureFile.read(paths.adminCertificate), byCA: fleet.caPEM))
    }

    @Test func theAdminCredentialLastsNinetyDaysAndIsRecorded() async throws {
        _ = try initialize()
        let paths = FleetPaths(root: directory)
        let expiry = try #require(CertificateChecks.expiry(pem: try SecureFile.read(paths.adminCertificate)))
        #expect(abs(expiry.timeIntervalSinceNow - 90 * 86400) < 60)
        let store = try SQLiteFleetStore(path: paths.database)
        let credentials = try await store.operatorCredentials()
        #expect(credentials.count == 1)
        #expect(credentials.first?.name == "admin")
        #expect(credentials.first?.role == .admin)
        #expect(credentials.first?.issuedBy == "coordinator init")
        #expect(credentials.first?.status(at: Date()) == .active)
        #expect(abs((credentials.first?.expiresAt ?? .distantPast).timeIntervalSince(expiry)) < 0.01)
        // Its issue is the chain's first change, written by init itself.
        let created = try #require(try await store.auditEntries(AuditQuery(action: "operator.create")).first?.entry)
        #expect(created.actor == "coordinator init")
        #expect(created.role == AuditEntry.coordinatorRole)
        #expect(created.target.operator == "admin")
        #expect(created.details?["serial"] == credentials.first?.serial)
        #expect(created.details?["role"] == "admin")
    }

    @Test func refusesToOverwriteAFleetWithoutForce() async throws {
        let first = try initialize()
        #expect {
            try initialize()
        } throws: { error in
            (error as? ShoalError)?.code == .fleetExists && ((error as? ShoalError)?.message.contains("--force") ?? false)
        }
        #expect(try await Fleet.load(dataDir: directory).ca.certificate.fingerprint == first.caFingerprint)
        let second = try initialize(force: true)
        #expect(second.caFingerprint != first.caFingerprint)
    }

    @Test func refusesAnAdvertiseURLThatIsNotHTTPS() {
        #expect {
            try FleetInitializer(dataDir: directory, advertiseURL: "http://10.0.0.1:80", listen: "0.0.0.0:80", extraNames: [], force: false).run()
        } throws: { error in
            (error as? ShoalError)?.code == .invalidArgument
        }
    }
}
