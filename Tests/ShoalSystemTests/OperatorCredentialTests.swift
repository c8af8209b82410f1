import Foundation
import ShoalClient
import ShoalCoordinator
import ShoalCore
import Testing

extension SystemTests {
/// Operator credentials with a real coordinator and the real CLI: listed, revoked (refused
/// from the next request, also on a kept-alive connection), the last admin kept, renewed with
/// the same key, and certificates from before credentials were recorded.
@Suite(.serialized)
struct OperatorCredentialTests {
    func create(_ fleet: TestFleet, _ name: String, role: String, days: Int? = nil) throws -> String {
        let made = try fleet.cli(["operator", "create", name, "--role", role, "--out", fleet.root + "/\(name)"] + (days.map { ["--days", "\($0)"] } ?? []))
        #expect(made.status == 0, "\(made.stderr)")
        return fleet.root + "/\(name)/operator.yaml"
    }

    /// A credential signed with the fleet CA here, with dates no command would give: one near
    /// its end, or about to expire. The coordinator records it at its first use.
    func handMade(_ fleet: TestFleet, _ name: String, validity: TimeInterval, issued: Date) throws -> String {
        let ca = try CertificateAuthority(certificatePEM: SecureFile.read(fleet.dataDir + "/ca.crt"), keyPEM: SecureFile.read(fleet.dataDir + "/ca.key"))
        let key = NodeKey()
        let certificate = try ca.issueClientCertificate(
            csr: .parse(pem: try key.certificateSigningRequestPEM(commonName: name)), identity: PeerIdentity(role: .operator, name: name),
            validity: validity, now: issued
        )
        let dir = fleet.root + "/" + name
        try SecureFile.makeDirectory(dir)
        try SecureFile.write(key.pemText, to: dir + "/\(name).key")
        try SecureFile.write(try certificate.pemText, to: dir + "/\(name).crt", mode: 0o644)
        try SecureFile.write(try SecureFile.read(fleet.dataDir + "/ca.crt"), to: dir + "/ca.crt", mode: 0o644)
        let config = "url: \(fleet.url)\nca_file: \(dir)/ca.crt\ncertificate_file: \(dir)/\(name).crt\nkey_file: \(dir)/\(name).key\n"
        try SecureFile.write(config, to: dir + "/operator.yaml")
        return dir + "/operator.yaml"
    }

    func cli(_ config: String, _ arguments: [String]) throws -> CommandResult {
        try runCommand(TestFleet.coordinatorBinary, arguments + ["--operator-config", config])
    }

    func list(_ fleet: TestFleet) throws -> [OperatorCredentialView] {
        let listed = try fleet.cli(["operator", "list", "--json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        return try WireCoding.decode(OperatorListResponse.self, from: Data(listed.stdout.utf8)).operators
    }

    func code(of body: () async throws -> Void) async -> ShoalError.Code? {
        do {
            try await body()
            return nil
        } catch let error as ShoalError {
            return error.code
        } catch {
            return .internalError
        }
    }

    @Test func aRevokedCredentialIsRefusedOnItsNextRequestEvenOnAKeptAliveConnection() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            let config = try create(fleet, "olga", role: "operator")
            let otto = try create(fleet, "otto", role: "operator")
            // One client for both requests: its pooled connection is kept alive in between.
            let olga = try OperatorConnection.load(dataDir: nil, operatorConfig: config, url: nil).client()
            #expect(try await olga.get("/v1/nodes", as: NodeListResponse.self).nodes.isEmpty)

            let revoke = try fleet.cli(["operator", "revoke", "olga"])
            #expect(revoke.status == 0, "\(revoke.stderr)")
            #expect(revoke.stdout.contains("revoked operator olga"))
            #expect(await code { _ = try await olga.get("/v1/nodes", as: NodeListResponse.self) } == .certificateRevoked)
            await olga.shutdown()

            let refused = try curl(["--cacert", fleet.dataDir + "/ca.crt", "--cert", fleet.root + "/olga/olga.crt", "--key", fleet.root + "/olga/olga.key", fleet.url + "/v1/nodes"])
            #expect(refused.code == 403)
            #expect(refused.body.contains("auth.certificate_revoked"))
            #expect(try cli(config, ["nodes", "list"]).stderr.contains("auth.certificate_revoked"))
            #expect(try cli(config, ["operator", "renew"]).stderr.contains("auth.certificate_revoked"))
            // Everyone else goes on: the admin, and another operator.
            #expect(try fleet.cli(["nodes", "list"]).status == 0)
            #expect(try cli(otto, ["nodes", "list"]).status == 0)
            // olga has no signing key in the trust document, so there is nothing more to say.
            #expect(!revoke.stdout.contains("root revoke-operator"))

            let listed = try list(fleet)
            let entry = try #require(listed.first { $0.name == "olga" })
            #expect(entry.status == .revoked)
            #expect(entry.role == "operator")
            #expect(entry.revokedBy == "admin admin")
            #expect(entry.issuedBy == "admin admin")
            #expect(listed.first { $0.name == "admin" }?.status == .active)
            #expect(listed.first { $0.name == "admin" }?.issuedBy == "coordinator init")
            let table = try fleet.cli(["operator", "list"])
            #expect(table.stdout.contains("olga"))
            #expect(table.stdout.contains("revoked"))
            // Lifetimes: 90 days by default, at most 365.
            #expect(abs(entry.expiresAt.timeIntervalSince(entry.issuedAt) - 90 * 86400) < 5)
            let tooLong = try fleet.cli(["operator", "create", "lena", "--days", "366", "--out", fleet.root + "/lena"])
            #expect(tooLong.status == 2)
            #expect(tooLong.stderr.contains("1 to 365 days"))
        }
    }

    @Test func theLastActiveAdminCannotBeRevoked() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            let alone = try fleet.cli(["operator", "revoke", "admin"])
            #expect(alone.status == 1)
            #expect(alone.stderr.contains("request.conflict"))
            #expect(alone.stderr.contains("no active admin"))
            #expect(try fleet.cli(["nodes", "list"]).status == 0)

            let ada = try create(fleet, "ada", role: "admin")
            let revoked = try cli(ada, ["operator", "revoke", "admin"])
            #expect(revoked.status == 0, "\(revoked.stderr)")
            // init put admin's signing key in the trust document: revoking the TLS credential
            // leaves it, and the output says how to take it back too.
            #expect(revoked.stdout.contains("admin still holds a signing key in the trust document"))
            #expect(revoked.stdout.contains("coordinator root revoke-operator admin"))
            #expect(try fleet.cli(["nodes", "list"]).stderr.contains("auth.certificate_revoked"))
            let herself = try cli(ada, ["operator", "revoke", "ada"])
            #expect(herself.status == 1)
            #expect(herself.stderr.contains("request.conflict"))
            #expect(try cli(ada, ["nodes", "list"]).status == 0)
        }
    }

    @Test func renewalGivesALaterExpiryForTheSameKeyAndBothCertificatesWork() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            let config = try create(fleet, "rita", role: "viewer", days: 2)
            let certificateFile = fleet.root + "/rita/rita.crt"
            let first = try SecureFile.read(certificateFile)
            try SecureFile.write(first, to: fleet.root + "/rita/first.crt", mode: 0o644)
            let firstExpiry = try #require(CertificateChecks.expiry(pem: first))
            try await Task.sleep(for: .seconds(1.1))

            let renewed = try cli(config, ["operator", "renew"])
            #expect(renewed.status == 0, "\(renewed.stderr)")
            #expect(renewed.stdout.contains("renewed viewer rita"))
            let second = try SecureFile.read(certificateFile)
            let secondExpiry = try #require(CertificateChecks.expiry(pem: second))
            #expect(secondExpiry > firstExpiry)
            // As long as the certificate it renews, not the 90-day default.
            #expect(abs(secondExpiry.timeIntervalSinceNow - 2 * 86400) < 60)
            #expect(try NodeKey(pem: SecureFile.read(fleet.root + "/rita/rita.key")).matches(certificatePEM: second))
            #expect(try cli(config, ["nodes", "list"]).status == 0)
            let old = try curl(["--cacert", fleet.dataDir + "/ca.crt", "--cert", fleet.root + "/rita/first.crt", "--key", fleet.root + "/rita/rita.key", fleet.url + "/v1/nodes"])
            #expect(old.code == 200)

            let rows = try list(fleet).filter { $0.name == "rita" }
            #expect(rows.count == 2)
            #expect(rows.allSatisfy { $0.status == .active && $0.role == "viewer" })
            #expect(rows.last?.renewalOf == rows.first?.serial)

            // A renewal keeps the key: a CSR for another one is refused.
            let rita = try OperatorConnection.load(dataDir: nil, operatorConfig: config, url: nil).client()
            let otherKey = NodeKey()
            let other = OperatorRenewRequest(csr: try otherKey.certificateSigningRequestPEM(commonName: "rita"))
            #expect(await code { _ = try await rita.post("/v1/operators/renew", body: other, as: OperatorCreateResponse.self) } == .csrInvalid)
            await rita.shutdown()

            // init's admin credential renews the same way, in place.
            let adminBefore = try #require(CertificateChecks.expiry(pem: try SecureFile.read(fleet.dataDir + "/admin.crt")))
            let adminRenewed = try fleet.cli(["operator", "renew"])
            #expect(adminRenewed.status == 0, "\(adminRenewed.stderr)")
            #expect(try #require(CertificateChecks.expiry(pem: try SecureFile.read(fleet.dataDir + "/admin.crt"))) > adminBefore)
            #expect(try fleet.cli(["nodes", "list"]).status == 0)
            #expect(try list(fleet).filter { $0.name == "admin" }.count == 2)

            // Revoking the name stops the renewed certificate and the one it renewed.
            #expect(try fleet.cli(["operator", "revoke", "rita"]).status == 0)
            #expect(try cli(config, ["nodes", "list"]).stderr.contains("auth.certificate_revoked"))
            let oldAfter = try curl(["--cacert", fleet.dataDir + "/ca.crt", "--cert", fleet.root + "/rita/first.crt", "--key", fleet.root + "/rita/rita.key", fleet.url + "/v1/nodes"])
            #expect(oldAfter.code == 403)
            #expect(oldAfter.body.contains("auth.certificate_revoked"))
        }
    }

    @Test func theCLIRenewsACredentialInTheLastThirdOfItsLifeByItself() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            // 90 days issued 70 days ago: 20 days left, inside the last third.
            let config = try handMade(fleet, "nina", validity: 90 * 86400, issued: Date().addingTimeInterval(-70 * 86400))
            let listed = try cli(config, ["nodes", "list", "--json"])
            #expect(listed.status == 0, "\(listed.stderr)")
            #expect(listed.stderr.contains("renewed operator nina"))
            // The note is on stderr: stdout is still the command's JSON.
            #expect((try? WireCoding.decode(NodeListResponse.self, from: Data(listed.stdout.utf8))) != nil)
            let expiry = try #require(CertificateChecks.expiry(pem: try SecureFile.read(fleet.root + "/nina/nina.crt")))
            #expect(abs(expiry.timeIntervalSinceNow - 90 * 86400) < 60)
            let rows = try list(fleet).filter { $0.name == "nina" }
            #expect(rows.count == 2)
            #expect(rows.contains { $0.renewalOf != nil && $0.issuedBy == "operator nina" })

            // Fresh now: the next command does not renew again.
            let again = try cli(config, ["nodes", "list"])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(!again.stderr.contains("renewed"))
            #expect(try list(fleet).filter { $0.name == "nina" }.count == 2)
        }
    }

    @Test func expiryIsCheckedOnEveryRequestAlsoOnAKeptAliveConnection() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            let config = try handMade(fleet, "ivan", validity: 4, issued: Date())
            let ivan = try OperatorConnection.load(dataDir: nil, operatorConfig: config, url: nil).client()
            #expect(try await ivan.get("/v1/nodes", as: NodeListResponse.self).nodes.isEmpty)
            try await Task.sleep(for: .seconds(5))
            #expect(await code { _ = try await ivan.get("/v1/nodes", as: NodeListResponse.self) } == .certificateExpired)
            await ivan.shutdown()
            // Too late to renew: a new connection fails at the handshake, and the CLI says so.
            let renew = try cli(config, ["operator", "renew"])
            #expect(renew.status != 0)
            #expect(try list(fleet).first { $0.name == "ivan" }?.status == .expired)
        }
    }

    @Test func aCertificateIssuedBeforeCredentialsWereRecordedIsAcceptedListedAndRevocable() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            // What an older coordinator handed out: signed by the fleet CA, recorded nowhere.
            let dir = fleet.root + "/legacy"
            try SecureFile.makeDirectory(dir)
            let extensions = dir + "/ext.cnf"
            try SecureFile.write("extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=critical,CA:FALSE\n", to: extensions)
            for arguments in [
                ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", dir + "/legacy.key"],
                ["req", "-new", "-key", dir + "/legacy.key", "-subj", "/O=Shoal/OU=operator/CN=legacy", "-out", dir + "/legacy.csr"],
                ["x509", "-req", "-in", dir + "/legacy.csr", "-CA", fleet.dataDir + "/ca.crt", "-CAkey", fleet.dataDir + "/ca.key",
                 "-CAcreateserial", "-days", "3650", "-extfile", extensions, "-out", dir + "/legacy.crt"],
            ] {
                let made = try runCommand("/usr/bin/openssl", arguments)
                #expect(made.status == 0, "\(made.stderr)")
            }
            let legacy = ["--cacert", fleet.dataDir + "/ca.crt", "--cert", dir + "/legacy.crt", "--key", dir + "/legacy.key"]
            #expect(try list(fleet).allSatisfy { $0.name != "legacy" })
            #expect(try curl(legacy + [fleet.url + "/v1/nodes"]).code == 200)

            let entry = try #require(try list(fleet).first { $0.name == "legacy" })
            #expect(entry.status == .active)
            #expect(entry.issuedBy.hasPrefix("unknown"))
            let revoke = try fleet.cli(["operator", "revoke", "--serial", entry.serial.uppercased()])
            #expect(revoke.status == 0, "\(revoke.stderr)")
            let refused = try curl(legacy + [fleet.url + "/v1/nodes"])
            #expect(refused.code == 403)
            #expect(refused.body.contains("auth.certificate_revoked"))
        }
    }
}
}
