import Foundation
import ShoalCore
import Testing

/// The spine, end to end with real processes and real TLS on loopback: three agents enroll,
/// heartbeat, and answer a fleet task; the API's authentication holds.
extension SystemTests {
@Suite(.serialized)
struct FleetEndToEndTests {
    @Test func threeAgentsEnrollHeartbeatAndRunAFleetTask() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            let token = try fleet.token(uses: 3, labels: ["role=compute"])
            // alpha's own config claims labels too: they are kept apart as claimed labels; only
            // the token's select work.
            try fleet.startAgent("alpha", token: token, labels: ["zone": "eu-1", "role": "ignored"])
            for name in ["bravo", "charlie"] { try fleet.startAgent(name, token: token) }
            let nodes = try await fleet.waitForReady(["alpha", "bravo", "charlie"])
            #expect(nodes["alpha"]?.labels == ["role": "compute"])
            #expect(nodes["alpha"]?.claimedLabels == ["zone": "eu-1", "role": "ignored"])
            #expect(nodes["bravo"]?.labels == ["role": "compute"])

            for node in nodes.values {
                #expect(node.labels["role"] == "compute")
                #expect(node.lastHeartbeatAt != nil)
                #expect(node.metrics != nil)
                #expect((node.facts?.cpuCount ?? 0) > 0)
                #expect((node.facts?.memoryBytes ?? 0) > 0)
                #expect(node.facts?.kernel.isEmpty == false)
            }
            // Heartbeats keep coming: the timestamp moves.
            let first = try #require(nodes["alpha"]?.lastHeartbeatAt)
            let moved = try await eventually(timeout: 10) {
                try await fleet.nodes().first { $0.hostname == "alpha" }?.lastHeartbeatAt ?? first > first
            }
            #expect(moved)

            let run = try fleet.cli(["task", "run", "--command", "echo ran-on pid=$$", "--selector", "role=compute", "--wait", "--json"])
            #expect(run.status == 0, "task run failed: \(run.stderr)")
            let view = try WireCoding.decode(TaskView.self, from: Data(run.stdout.utf8))
            #expect(view.status == .succeeded)
            #expect(view.nodes.count == 3)
            #expect(Set(view.nodes.map(\.hostname)) == ["alpha", "bravo", "charlie"])
            for node in view.nodes {
                #expect(node.status == .succeeded)
                #expect(node.exitCode == 0)
                #expect(node.firstLine?.hasPrefix("ran-on pid=") == true)
                let result = try #require(node.result)
                #expect(result.steps.count == 1)
                #expect(result.steps[0].stdout.head.contains("pid="))
            }
            // Each node ran its own process: three different pids.
            #expect(Set(view.nodes.compactMap(\.firstLine)).count == 3)

            // The table form names every node and exits 0 only when all succeed.
            let failing = try fleet.cli(["task", "run", "--command", "echo oops >&2; exit 7", "--wait"])
            #expect(failing.status == 1)
            #expect(failing.stdout.contains("failed"))
            #expect(failing.stdout.contains("oops"))
            #expect(failing.stdout.contains("7"))
        }
    }

    @Test func apiRefusesRequestsWithoutTheRightCertificate() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("delta", token: try fleet.token())
            try fleet.startAgent("echo", token: try fleet.token())
            let nodes = try await fleet.waitForReady(["delta", "echo"])
            let delta = try #require(nodes["delta"])
            let echo = try #require(nodes["echo"])
            let ca = fleet.dataDir + "/ca.crt"

            // With the admin certificate: the node list.
            let withAdmin = try curl(["--cacert", ca, "--cert", fleet.dataDir + "/admin.crt", "--key", fleet.dataDir + "/admin.key", fleet.url + "/v1/nodes"])
            #expect(withAdmin.code == 200)
            let list = try WireCoding.decode(NodeListResponse.self, from: Data(withAdmin.body.utf8))
            #expect(Set(list.nodes.map(\.hostname)) == ["delta", "echo"])

            // Without a certificate: refused with a clear JSON error.
            let anonymous = try curl(["--cacert", ca, fleet.url + "/v1/nodes"])
            #expect(anonymous.code == 401)
            #expect(anonymous.body.contains("auth.client_certificate_required"))

            // Health and the CA stay open.
            #expect(try curl(["--cacert", ca, fleet.url + "/healthz"]).code == 200)

            // A node certificate on an operator route: refused.
            let nodeCert = ["--cacert", ca, "--cert", fleet.stateDir("delta") + "/node.crt", "--key", fleet.stateDir("delta") + "/node.key"]
            let nodeAsOperator = try curl(nodeCert + [fleet.url + "/v1/nodes"])
            #expect(nodeAsOperator.code == 403)
            #expect(nodeAsOperator.body.contains("auth.forbidden"))

            // A node certificate acting for another node: refused; for itself: accepted.
            let other = try curl(nodeCert + ["-X", "GET", fleet.url + "/v1/agent/\(echo.id)/bundles?wait=0"])
            #expect(other.code == 403)
            let own = try curl(nodeCert + [fleet.url + "/v1/agent/\(delta.id)/bundles?wait=0"])
            #expect(own.code == 200)

            // The admin certificate on an agent route: refused.
            let adminAsNode = try curl(["--cacert", ca, "--cert", fleet.dataDir + "/admin.crt", "--key", fleet.dataDir + "/admin.key", fleet.url + "/v1/agent/\(delta.id)/bundles?wait=0"])
            #expect(adminAsNode.code == 403)

            // Malformed JSON is a 400 with a code, never a crash.
            let malformed = try curl(["--cacert", ca, "--cert", fleet.dataDir + "/admin.crt", "--key", fleet.dataDir + "/admin.key",
                                      "-X", "POST", "-H", "content-type: application/json", "--data", "{not json", fleet.url + "/v1/tasks"])
            #expect(malformed.code == 400)
            #expect(malformed.body.contains("request.malformed"))
            // Oversized bodies are refused (413), and the server still answers afterwards.
            let huge = String(repeating: "x", count: 5 * 1024 * 1024)
            let hugePath = fleet.root + "/huge.json"
            try SecureFile.write("{\"token\":\"\(huge)\"}", to: hugePath)
            let tooLarge = try curl(["--cacert", ca, "-X", "POST", "-H", "content-type: application/json", "--data-binary", "@" + hugePath, fleet.url + "/v1/enroll"])
            #expect(tooLarge.code == 413)
            #expect(try curl(["--cacert", ca, fleet.url + "/healthz"]).code == 200)

            // A certificate from another CA does not get through TLS at all.
            let stranger = try TestFleet()
            let foreign = try curl(["--cacert", ca, "--cert", stranger.dataDir + "/admin.crt", "--key", stranger.dataDir + "/admin.key", fleet.url + "/v1/nodes"])
            await stranger.tearDown()
            #expect(foreign.code != 200)
        }
    }

    @Test func joinTokensAreSingleUseAndExpire() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            let token = try fleet.token(uses: 1)
            let ca = fleet.dataDir + "/ca.crt"
            func enroll(_ name: String, _ token: String) throws -> CommandResult {
                try runCommand(TestFleet.agentBinary, ["enroll", "--coordinator", fleet.url, "--token", token, "--ca-file", ca, "--state-dir", fleet.stateDir(name), "--node-name", name])
            }
            let first = try enroll("foxtrot", token)
            #expect(first.status == 0, "\(first.stderr)")
            let reuse = try enroll("golf", token)
            #expect(reuse.status != 0)
            #expect(reuse.stderr.contains("token.used_up"))
            #expect(!FileManager.default.fileExists(atPath: fleet.stateDir("golf") + "/identity.json"))

            let unknown = try enroll("hotel", "shoal_not_a_real_token")
            #expect(unknown.stderr.contains("token.invalid"))

            let shortLived = try fleet.token(uses: 1, ttl: "1s")
            try await Task.sleep(for: .seconds(2))
            let expired = try enroll("india", shortLived)
            #expect(expired.stderr.contains("token.expired"))

            // Pinning by fingerprint works, and a wrong fingerprint refuses to enroll.
            let fingerprint = try CertificateChecks.fingerprint(pem: SecureFile.read(ca))
            let byFingerprint = try runCommand(TestFleet.agentBinary, ["enroll", "--coordinator", fleet.url, "--token", try fleet.token(),
                "--ca-fingerprint", fingerprint, "--state-dir", fleet.stateDir("juliet")])
            #expect(byFingerprint.status == 0, "\(byFingerprint.stderr)")
            let wrong = try runCommand(TestFleet.agentBinary, ["enroll", "--coordinator", fleet.url, "--token", try fleet.token(),
                "--ca-fingerprint", "sha256:" + String(repeating: "ab", count: 32), "--state-dir", fleet.stateDir("kilo")])
            #expect(wrong.status != 0)
            #expect(wrong.stderr.contains("enroll.ca_fingerprint_mismatch"))
        }
    }

    @Test func racingEnrollmentsWithOneSingleUseTokenHaveOneWinner() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            let token = try fleet.token(uses: 1)
            let ca = fleet.dataDir + "/ca.crt"
            let results = await withTaskGroup(of: Int32.self) { group in
                for index in 0..<6 {
                    group.addTask {
                        (try? runCommand(TestFleet.agentBinary, ["enroll", "--coordinator", fleet.url, "--token", token, "--ca-file", ca,
                                                                 "--state-dir", fleet.stateDir("race-\(index)")]).status) ?? -1
                    }
                }
                var statuses: [Int32] = []
                for await status in group { statuses.append(status) }
                return statuses
            }
            #expect(results.filter { $0 == 0 }.count == 1)
            #expect(try await fleet.nodes().count == 1)
        }
    }
}
}

/// curl with the HTTP status appended, for checks "as an admin would see it".
func curl(_ arguments: [String]) throws -> (code: Int, body: String) {
    let result = try runCommand("/usr/bin/curl", ["-s", "-w", "\n%{http_code}"] + arguments)
    let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
    let code = Int(lines.last ?? "") ?? 0
    return (code, lines.dropLast().joined(separator: "\n"))
}
