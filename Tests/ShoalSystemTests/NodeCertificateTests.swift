import Foundation
import ShoalCore
import Testing

extension SystemTests {
/// A node's certificate lifecycle: renewed before it expires without losing the node, and
/// refused from the next request once the node is revoked.
@Suite(.serialized)
struct NodeCertificateTests {
    @Test func certificatesRenewBeforeTheyExpireAndTheNodeKeepsWorking() async throws {
        try await TestFleet.with(certificateValidity: "30s") { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("romeo", token: try fleet.token())
            let first = try #require(try await fleet.waitForReady(["romeo"])["romeo"])
            let firstExpiry = try #require(first.certificateExpiresAt)
            let renewed = await eventually(timeout: 40) {
                guard let expiry = (try? await fleet.nodes())?.first?.certificateExpiresAt else { return false }
                return expiry > firstExpiry
            }
            #expect(renewed)
            // Past the first certificate's end: only the renewed one can be doing the talking.
            let wait = firstExpiry.timeIntervalSinceNow + 2
            if wait > 0 { try await Task.sleep(for: .seconds(wait)) }
            let run = try fleet.cli(["task", "run", "--command", "echo still-here", "--wait", "--json"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(try WireCoding.decode(TaskView.self, from: Data(run.stdout.utf8)).nodes.first?.firstLine == "still-here")
            let onDisk = try SecureFile.read(fleet.stateDir("romeo") + "/node.crt")
            #expect((CertificateChecks.expiry(pem: onDisk) ?? .distantPast) > firstExpiry)
        }
    }

    @Test func aRevokedNodeIsRefusedOnItsNextRequest() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("sierra", token: try fleet.token(labels: ["role=x"]))
            let node = try #require(try await fleet.waitForReady(["sierra"])["sierra"])
            let revoke = try fleet.cli(["nodes", "revoke", node.id])
            #expect(revoke.status == 0, "\(revoke.stderr)")

            let nodeCert = ["--cacert", fleet.dataDir + "/ca.crt", "--cert", fleet.stateDir("sierra") + "/node.crt", "--key", fleet.stateDir("sierra") + "/node.key"]
            let refused = try curl(nodeCert + ["-X", "POST", "-H", "content-type: application/json", "--data", "{}", fleet.url + "/v1/agent/\(node.id)/heartbeat"])
            #expect(refused.code == 403)
            #expect(refused.body.contains("auth.node_revoked"))
            // Heartbeats do not bring it back, and no task targets it.
            try await Task.sleep(for: .seconds(3))
            #expect(try await fleet.nodes().first?.status == "revoked")
            let run = try fleet.cli(["task", "run", "--selector", "role=x", "--command", "true"])
            #expect(run.status != 0)
            #expect(run.stderr.contains("task.no_nodes_matched"))
            #expect(fleet.agents["sierra"]?.log.contains("auth.node_revoked") == true)
        }
    }
}
}
