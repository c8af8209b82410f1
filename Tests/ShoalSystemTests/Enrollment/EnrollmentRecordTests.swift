import Foundation
import ShoalClient
import ShoalCore
import Testing

@testable import ShoalCoordinator

extension SystemTests {
/// What the coordinator records of an enrollment (the token, the address it came from) and
/// what `enroll`/`unenroll` check against it, on loopback with real agents. SSH in these tests
/// goes to port 1, where nothing listens, so no host is ever changed.
@Suite(.serialized)
struct EnrollmentRecordTests {
    func mintToken(_ fleet: TestFleet) async throws -> TokenCreateResponse {
        try await fleet.admin().post("/v1/tokens", body: TokenCreateRequest(ttlSeconds: 600, uses: 1, labels: [:]), as: TokenCreateResponse.self)
    }

    @Test func theTokenAndSourceAddressAreRecordedForAdminsOnlyAndEnrollChecksTheToken() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            let ours = try await mintToken(fleet)
            let other = try await mintToken(fleet)
            try fleet.startAgent("localhost", token: ours.token)
            let node = try #require(try await fleet.waitForReady(["localhost"])["localhost"])

            let enrollment = try await fleet.admin().get("/v1/nodes/\(node.id)/enrollment", as: NodeEnrollmentView.self)
            #expect(enrollment.tokenID == ours.tokenID)
            #expect(enrollment.enrolledFrom == "127.0.0.1")
            #expect(enrollment.hostname == "localhost")
            // Admin only: a viewer may not read it.
            #expect(try fleet.cli(["operator", "create", "vera", "--role", "viewer", "--out", fleet.root + "/vera"]).status == 0)
            let viewer = try OperatorConnection.load(dataDir: nil, operatorConfig: fleet.root + "/vera/operator.yaml", url: nil).client()
            let forbidden = await #expect(throws: ShoalError.self) { try await viewer.get("/v1/nodes/\(node.id)/enrollment", as: NodeEnrollmentView.self) }
            #expect(forbidden?.code == .forbidden)
            await viewer.shutdown()

            // What `coordinator enroll` checks once the host names its node.
            try await EnrolledNodeCheck.verify(nodeID: node.id, tokenID: ours.tokenID, host: "h", client: fleet.admin())
            let mismatch = await #expect(throws: ShoalError.self) {
                try await EnrolledNodeCheck.verify(nodeID: node.id, tokenID: other.tokenID, host: "h", client: fleet.admin())
            }
            #expect(mismatch?.code == .bootstrapIdentityMismatch)
            #expect(mismatch?.message.contains("left alone") == true)
            let unknown = await #expect(throws: ShoalError.self) {
                try await EnrolledNodeCheck.verify(nodeID: "n-000000000000", tokenID: ours.tokenID, host: "h", client: fleet.admin())
            }
            #expect(unknown?.code == .bootstrapIdentityMismatch)
        }
    }

    @Test func unenrollByNodeIDAsksWhenTheReportedHostnameLeadsElsewhere() async throws {
        try await TestFleet.with(nodeTTL: "60s") { fleet in
            try await fleet.startCoordinator()
            let token = try fleet.token(uses: 2)
            try fleet.startAgent("localhost", token: token)
            try fleet.startAgent("elsewhere.invalid", token: token)
            let nodes = try await fleet.waitForReady(["localhost", "elsewhere.invalid"])
            let here = try #require(nodes["localhost"])
            let elsewhere = try #require(nodes["elsewhere.invalid"])
            let ssh = ["-p", "1", "--ssh-option", "ConnectTimeout=2"]

            // Not a terminal, no --yes: refused, nothing done, the node is still enrolled.
            let refused = try fleet.cli(["unenroll", elsewhere.id] + ssh)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("unenroll.address_mismatch"), "\(refused.stderr)")
            #expect(refused.stderr.contains("enrolled from 127.0.0.1"))
            #expect(try await fleet.admin().get("/v1/nodes/\(elsewhere.id)", as: NodeView.self).status != "revoked")
            // --yes goes ahead (nothing answers over SSH; the node is revoked).
            let forced = try fleet.cli(["unenroll", elsewhere.id, "--yes", "--json"] + ssh)
            #expect(forced.status == 0, "\(forced.stderr)")
            #expect(try await fleet.admin().get("/v1/nodes/\(elsewhere.id)", as: NodeView.self).status == "revoked")
            // A hostname that still resolves to the enrolling address needs no question.
            let matching = try fleet.cli(["unenroll", here.id] + ssh)
            #expect(matching.status == 0, "\(matching.stderr)")
            #expect(matching.stdout.contains("revoked \(here.id)"))
        }
    }

    @Test func enrollJSONKeepsEveryDocumentedKeyForAFailedHost() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            let result = try fleet.cli([
                "enroll", "root@127.0.0.1", "-p", "1", "--ssh-option", "ConnectTimeout=2",
                "--agent-binary", TestFleet.agentBinary, "--json",
            ])
            #expect(result.status == 1)
            let report = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)\n\(result.stderr)")
            let host = try #require((report["results"] as? [[String: Any]])?.first)
            #expect(host.keys.sorted() == ["checks", "host", "nodeID", "reason", "result", "seconds"])
            #expect(host["nodeID"] is NSNull)
            #expect(host["result"] as? String == "failed")
        }
    }
}
}
