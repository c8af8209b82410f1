import Foundation
import ShoalClient
import ShoalCore
import Testing

/// Reproduced attack: a node chose its own labels and shadowed facts, and so received work
/// (and secrets) meant for other nodes. Labels that select work now come only from the join
/// token and operators; what a node claims is kept apart as `claimed.*`.
extension SystemTests {
@Suite(.serialized)
struct LabelAuthorityTests {
    @Test func aNodeCannotSelectItselfIntoWorkWithLabelsItClaims() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            // The rogue's own config claims env=prod; its token says only role=web.
            try fleet.startAgent("rogue", token: try fleet.token(labels: ["role=web"]), labels: ["env": "prod", "tier": "gold"])
            try fleet.startAgent("honest", token: try fleet.token(labels: ["role=web", "env=prod"]))
            let nodes = try await fleet.waitForReady(["rogue", "honest"])
            let rogue = try #require(nodes["rogue"])
            #expect(rogue.labels == ["role": "web"])
            #expect(rogue.claimedLabels == ["env": "prod", "tier": "gold"])

            let prod = try fleet.cli(["nodes", "list", "--selector", "env=prod", "--json"])
            #expect(prod.status == 0, "\(prod.stderr)")
            #expect(try WireCoding.decode(NodeListResponse.self, from: Data(prod.stdout.utf8)).nodes.map(\.hostname) == ["honest"])
            // What it claims is still visible, and selectable when asked for by name.
            let claimed = try fleet.cli(["nodes", "list", "--selector", "claimed.env=prod", "--json"])
            #expect(try WireCoding.decode(NodeListResponse.self, from: Data(claimed.stdout.utf8)).nodes.map(\.hostname) == ["rogue"])
            let show = try fleet.cli(["nodes", "show", rogue.id])
            #expect(show.stdout.contains("claimed.env=prod"))
            #expect(show.stdout.contains("self-reported"))

            // A task with a secret for env=prod reaches only the honest node.
            let run = try fleet.cli(["task", "run", "--selector", "env=prod", "--command", "echo secret-for-prod", "--wait", "--json"])
            #expect(run.status == 0, "\(run.stderr)")
            let view = try WireCoding.decode(TaskView.self, from: Data(run.stdout.utf8))
            #expect(view.nodes.map(\.hostname) == ["honest"])
        }
    }

    @Test func factNamesCannotBeLabelsAnywhereALabelIsSet() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            let token = try fleet.token(labels: ["role=web"])
            // A hand-made enrollment claiming GPU facts as labels (no agent config check on
            // the way): refused before anything is signed, and the token is not used up.
            let key = NodeKey()
            let csr = try key.certificateSigningRequestPEM(commonName: "rogue")
            for labels in [["gpu.count": "8"], ["gpu.model": "NVIDIA-H200"], ["hostname": "db-1"], ["status": "ready"], ["claimed.env": "prod"]] {
                let body = String(decoding: try WireCoding.encode(EnrollRequest(token: token, csr: csr, hostname: "rogue", labels: labels)), as: UTF8.self)
                let refused = try curl(["--cacert", fleet.dataDir + "/ca.crt", "-X", "POST", "-H", "content-type: application/json", "--data", body, fleet.url + "/v1/enroll"])
                #expect(refused.code == 400, "\(labels): \(refused.body)")
                #expect(refused.body.contains("is reserved"), "\(refused.body)")
            }
            // The same token still enrolls a node (nothing was consumed by the refusals).
            try fleet.startAgent("plain", token: token)
            let node = try #require(try await fleet.waitForReady(["plain"])["plain"])

            for pair in ["gpu.count=8", "os.release=24.04", "id=n-000", "claimed.x=1"] {
                let label = try fleet.cli(["nodes", "label", node.id, pair])
                #expect(label.status == 2, "\(pair): \(label.stderr)")
                #expect(label.stderr.contains("reserved"))
            }
            let tokenCreate = try fleet.cli(["token", "create", "--label", "gpu.count=8"])
            #expect(tokenCreate.status == 2)
            // Through the API too (a signed statement, as the CLI sends), not only the CLI's own check.
            func postLabels(_ labels: [String: String]) throws -> (code: Int, body: String) {
                let statement = try fleet.signer().signLabels(nodeID: node.id, labels: labels, currentVersion: 0)
                let body = String(decoding: try WireCoding.encode(statement), as: UTF8.self)
                return try curl(fleet.adminCurl + ["-X", "POST", "-H", "content-type: application/json", "--data", body, fleet.url + "/v1/nodes/\(node.id)/labels"])
            }
            let api = try postLabels(["gpu.count": "8"])
            #expect(api.code == 400)
            #expect(api.body.contains("reserved"))
            // Control characters are refused in values.
            let escape = try postLabels(["site": "a\u{1b}[2Jb"])
            #expect(escape.code == 400)
            #expect(escape.body.contains("control characters"))
            // An operator label (not a fact name) still works and selects.
            #expect(try fleet.cli(["nodes", "label", node.id, "env=prod"]).status == 0)
            let prod = try fleet.cli(["nodes", "list", "--selector", "env=prod", "--json"])
            #expect(try WireCoding.decode(NodeListResponse.self, from: Data(prod.stdout.utf8)).nodes.map(\.id) == [node.id])
        }
    }

    @Test func aHostnameTwoNodesShareIsRefusedWithTheirIDs() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            let token = try fleet.token(uses: 2)
            // Two agents that report the same hostname (a node chooses what it reports).
            for name in ["tw1", "tw2"] { try fleet.startAgent(name, token: token, hostname: "twin") }
            let both = await eventually(timeout: 30) { ((try? await fleet.nodes()) ?? []).filter { $0.hostname == "twin" && $0.facts != nil }.count == 2 }
            #expect(both)
            let twins = try await fleet.nodes().filter { $0.hostname == "twin" }.map(\.id).sorted()
            let run = try fleet.cli(["task", "run", "--command", "echo hi", "--selector", "hostname=twin", "--wait", "--json"])
            let task = try WireCoding.decode(TaskView.self, from: Data(run.stdout.utf8))
            let output = try fleet.cli(["task", "output", task.id, "twin"])
            #expect(output.status == 2, "\(output.stdout)\(output.stderr)")
            for id in twins { #expect(output.stderr.contains(id)) }
            let byID = try fleet.cli(["task", "output", task.id, twins[0]])
            #expect(byID.status == 0)
            #expect(byID.stdout.contains("hi"))
        }
    }
}
}
