import Foundation
import ShoalClient
import ShoalCoordinator
import ShoalCore
import Testing

/// The fleet CA rotates with live agents and no re-enrollment: the root lists the new CA,
/// the coordinator switches to it and sends a cross certificate, nodes renew onto the new CA
/// at their next heartbeat — also one that was offline while the root announced it — and
/// after `ca finish` and `root remove-ca` the old CA vouches for nothing.
extension SystemTests {
@Suite(.serialized)
struct CARotationTests {
    @Test func theFleetCARotatesWithLiveAgentsAndTheOldCAStopsWorking() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("steady", token: try fleet.token())
            try fleet.startAgent("sleeper", token: try fleet.token())
            _ = try await fleet.waitForReady(["steady", "sleeper"])
            func coordinator(_ arguments: [String]) throws -> CommandResult {
                try runCommand(TestFleet.coordinatorBinary, arguments + ["--data-dir", fleet.dataDir])
            }
            func certificates(_ path: String) throws -> [String] {
                try CertificateChecks.fingerprints(pem: SecureFile.read(path))
            }
            let caFile = fleet.dataDir + "/ca.crt"
            let oldCA = try SecureFile.read(caFile)
            let oldFingerprint = try CertificateChecks.fingerprint(pem: oldCA)
            // An operator with a credential of their own, on their own machine.
            let made = try fleet.cli(["operator", "create", "vera", "--role", "viewer", "--out", fleet.root + "/vera"])
            #expect(made.status == 0, "\(made.stderr)")
            func vera(_ arguments: [String]) throws -> CommandResult {
                try runCommand(TestFleet.coordinatorBinary, arguments + ["--operator-config", fleet.root + "/vera/operator.yaml"])
            }
            let oldAdmin = (certificate: try SecureFile.read(fleet.dataDir + "/admin.crt"), key: try SecureFile.read(fleet.dataDir + "/admin.key"))

            // "sleeper" is offline while the root announces the new CA: it comes back knowing
            // only the old one and must connect through the cross certificate.
            fleet.agents["sleeper"]?.signal(SIGTERM)
            fleet.agents["sleeper"]?.process.waitUntilExit()

            let next = try coordinator(["ca", "new"])
            #expect(next.status == 0, "\(next.stderr)")
            let newFingerprint = try CertificateChecks.fingerprint(pem: SecureFile.read(fleet.dataDir + "/ca.next.crt"))
            // Switching before the root lists the new CA is refused and changes nothing.
            let early = try coordinator(["ca", "activate"])
            #expect(early.status != 0 && early.stderr.contains("trust.missing") && early.stderr.contains("root add-ca"), "\(early.stderr)")
            #expect(try SecureFile.read(caFile) == oldCA)

            let listed = try fleet.cli(["root", "add-ca", "--cert", fleet.dataDir + "/ca.next.crt", "--root-dir", fleet.rootDir])
            #expect(listed.status == 0, "\(listed.stderr)")
            // Removing the CA the coordinator still issues with would lock agents out: refused.
            let premature = try fleet.cli(["root", "remove-ca", oldFingerprint, "--root-dir", fleet.rootDir])
            #expect(premature.status != 0 && premature.stderr.contains("lock every agent out"), "\(premature.stderr)")
            let steadyCA = fleet.stateDir("steady") + "/ca.crt"
            #expect(await eventually { (try? certificates(steadyCA)) == [oldFingerprint, newFingerprint] }, "the online agent learns both CAs from the trust document")

            // What a thief of the coordinator host would keep: the old CA's key.
            let stolen = fleet.root + "/stolen"
            try FileManager.default.createDirectory(atPath: stolen, withIntermediateDirectories: true)
            try SecureFile.write(SecureFile.read(caFile), to: stolen + "/ca.crt")
            try SecureFile.write(SecureFile.read(fleet.dataDir + "/ca.key"), to: stolen + "/ca.key")
            fleet.stopCoordinator()
            let activated = try coordinator(["ca", "activate"])
            #expect(activated.status == 0, "\(activated.stderr)")
            #expect(try CertificateChecks.fingerprint(pem: SecureFile.read(caFile)) == newFingerprint)
            #expect(!FileManager.default.fileExists(atPath: fleet.dataDir + "/ca.next.key"))
            func pendingNodes() throws -> [String]? {
                let status = try coordinator(["ca", "status", "--json"])
                guard status.status == 0, let object = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any] else { return nil }
                return object["pendingNodes"] as? [String]
            }
            #expect(try pendingNodes()?.count == 2, "both nodes start on the previous CA")
            try await fleet.startCoordinator()

            // During the overlap the old CA's certificates still work, but a stolen old CA key
            // buys nothing: a new operator it signs is refused, and so is a node certificate it
            // forges for a node's known serial with another key.
            let store = try SQLiteFleetStore(path: fleet.dataDir + "/fleet.db")
            let steadyNode = try #require(try await store.nodes().first { $0.hostname == "steady" })
            func forge(_ subject: String, serial: String, name: String) throws -> (certificate: String, key: String) {
                let (key, csr, certificate, extensions) = (stolen + "/\(name).key", stolen + "/\(name).csr", stolen + "/\(name).crt", stolen + "/ext")
                try "extendedKeyUsage=clientAuth\n".write(toFile: extensions, atomically: true, encoding: .utf8)
                for arguments in [
                    ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key],
                    ["req", "-new", "-key", key, "-subj", subject, "-out", csr],
                    ["x509", "-req", "-in", csr, "-CA", stolen + "/ca.crt", "-CAkey", stolen + "/ca.key", "-set_serial", "0x" + serial, "-days", "30", "-extfile", extensions, "-out", certificate],
                ] {
                    let made = try runCommand("/usr/bin/openssl", arguments)
                    #expect(made.status == 0, "openssl \(arguments.first ?? ""): \(made.stderr)")
                }
                return (certificate, key)
            }
            func call(_ forged: (certificate: String, key: String), _ arguments: [String]) throws -> String {
                try runCommand("/usr/bin/curl", ["-s", "--cacert", caFile, "--cert", forged.certificate, "--key", forged.key] + arguments).stdout
            }
            let mallory = try forge("/O=Shoal/OU=admin/CN=mallory", serial: "5eed", name: "mallory")
            let asAdmin = try call(mallory, [fleet.url + "/v1/nodes"])
            #expect(asAdmin.contains("auth.forbidden") && asAdmin.contains("previous fleet CA"), "\(asAdmin)")
            let twin = try forge("/O=Shoal/OU=node/CN=\(steadyNode.id)", serial: steadyNode.certificateSerial, name: "twin")
            let asNode = try call(twin, ["-X", "POST", "-H", "content-type: application/json", "--data", "{}", fleet.url + "/v1/agent/\(steadyNode.id)/heartbeat"])
            #expect(asNode.contains("not for the key on record"), "\(asNode)")

            let sleeperCA = fleet.stateDir("sleeper") + "/ca.crt"
            #expect(try certificates(sleeperCA) == [oldFingerprint])
            try fleet.startAgent("sleeper", token: nil)
            // Both renew onto the new CA at their next heartbeat; the sleeper learns both CAs.
            #expect(await eventually(timeout: 30) { (try? pendingNodes()) == [] }, "\((try? coordinator(["ca", "status"]).stdout) ?? "")")
            #expect(try certificates(sleeperCA) == [oldFingerprint, newFingerprint])
            let newCA = try SecureFile.read(caFile)
            for name in ["steady", "sleeper"] {
                // The store records the renewal before the agent has written the answer.
                let nodeCertificate = fleet.stateDir(name) + "/node.crt"
                #expect(await eventually { CertificateChecks.isIssued(certificatePEM: (try? SecureFile.read(nodeCertificate)) ?? "", byCA: newCA) }, "\(name) holds a certificate from the new CA")
            }
            let during = try fleet.cli(["task", "run", "--command", "true", "--wait"])
            #expect(during.status == 0, "\(during.stdout) \(during.stderr)")
            // The operator still reaches the coordinator through the cross certificate, and
            // renewing moves their credential and their ca_file to the new CA.
            #expect(try vera(["nodes", "list"]).status == 0)
            let renewed = try vera(["operator", "renew"])
            #expect(renewed.status == 0 && renewed.stdout.contains("the fleet CA rotated"), "\(renewed.stdout) \(renewed.stderr)")
            #expect(try certificates(fleet.root + "/vera/ca.crt") == [newFingerprint])

            // Finish: the previous CA and the cross certificate go; the root drops the old CA.
            let finished = try coordinator(["ca", "finish"])
            #expect(finished.status == 0 && finished.stdout.contains(oldFingerprint), "\(finished.stdout) \(finished.stderr)")
            fleet.stopCoordinator()
            try await fleet.startCoordinator()
            let removed = try fleet.cli(["root", "remove-ca", oldFingerprint, "--root-dir", fleet.rootDir])
            #expect(removed.status == 0, "\(removed.stderr)")
            for name in ["steady", "sleeper"] {
                let path = fleet.stateDir(name) + "/ca.crt"
                #expect(await eventually { (try? certificates(path)) == [newFingerprint] }, "\(name) trusts only the new CA")
            }
            let after = try fleet.cli(["task", "run", "--command", "true", "--wait"])
            #expect(after.status == 0, "\(after.stdout) \(after.stderr)")
            let veraAfter = try vera(["nodes", "list"])
            #expect(veraAfter.status == 0, "\(veraAfter.stderr)")

            // A credential the old CA issued is refused now.
            let stale = APIClient(baseURL: fleet.url, tls: try ClientTLS.mutual(caPEM: newCA, certificatePEM: oldAdmin.certificate, keyPEM: oldAdmin.key))
            await #expect(throws: (any Error).self) { _ = try await stale.get("/v1/nodes", as: NodeListResponse.self) }
            await stale.shutdown()

            // The root refuses to drop the CA in use; every step is in the audit log.
            let last = try fleet.cli(["root", "remove-ca", newFingerprint, "--root-dir", fleet.rootDir])
            #expect(last.status != 0 && last.stderr.contains("lock every agent out"), "\(last.stderr)")
            let audited = try fleet.cli(["audit", "list", "--json"])
            #expect(audited.stdout.contains("ca.activate") && audited.stdout.contains("ca.finish"), "\(audited.stdout)")
            #expect(try fleet.cli(["audit", "verify"]).status == 0)
        }
    }
}
}
