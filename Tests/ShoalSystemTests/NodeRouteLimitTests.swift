import Foundation
import ShoalClient
import ShoalCore
import Testing

/// Every node-facing route is bounded: a node with a valid certificate, or a stranger with
/// none, cannot fill the coordinator's disk, memory or connection slots.
extension SystemTests {
@Suite(.serialized)
struct NodeRouteLimitTests {
    /// Reproduced attack: ten 8 MiB uploads for a finished one-step delivery were all stored.
    @Test func outputUploadsOnlyForTheNodesRunningDeliveryAndWithinItsCap() async throws {
        try await TestFleet.with(configure: { $0.limits = Self.limits { $0.maxOutputBytesPerDelivery = 96 * 1024 } }) { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("uploader", token: try fleet.token())
            try fleet.startAgent("other", token: try fleet.token())
            let nodes = try await fleet.waitForReady(["uploader", "other"])
            let node = try #require(nodes["uploader"])
            let run = try fleet.cli(["task", "run", "--nodes", node.id, "--command", "sleep 6; echo done", "--json"])
            #expect(run.status == 0, "\(run.stderr)")
            let task = try WireCoding.decode(TaskView.self, from: Data(run.stdout.utf8))
            let running = await eventually(timeout: 15) { (try? await fleet.task(task.id))?.nodes.first?.status == .running }
            #expect(running)
            let delivery = try #require(try await fleet.task(task.id).nodes.first?.bundleID)
            let url = fleet.url + "/v1/agent/\(node.id)/deliveries/\(delivery)/output"
            let chunk = fleet.root + "/chunk"
            try Data(repeating: 0x41, count: 64 * 1024).write(to: URL(fileURLWithPath: chunk))

            func put(_ query: String, as agent: String = "uploader", target: String? = nil) throws -> (code: Int, body: String) {
                try curl(fleet.nodeCurl(agent) + ["-X", "PUT", "--data-binary", "@" + chunk, (target ?? url) + query])
            }
            // While it runs: step 0 is accepted, a step the bundle does not have is not.
            #expect(try put("?step=0&stream=stdout").code == 200)
            let badStep = try put("?step=9999&stream=stdout")
            #expect(badStep.code == 400)
            #expect(badStep.body.contains("no step index 9999"))
            // The per-delivery cap counts what is already stored: a second 64 KiB stream is too much.
            let overCap = try put("?step=0&stream=stderr")
            #expect(overCap.code == 413, "\(overCap.body)")
            #expect(overCap.body.contains("max_output_bytes_per_delivery"))
            // Another node's certificate may not upload for this node.
            let otherNode = try #require(nodes["other"])
            #expect(try put("?step=0&stream=stdout", as: "other").code == 403)
            let foreign = fleet.url + "/v1/agent/\(otherNode.id)/deliveries/\(delivery)/output"
            #expect(try put("?step=0&stream=stdout", as: "other", target: foreign).code == 404)

            // Once its result is stored the delivery takes no more output.
            let done = try await fleet.waitForTask(task.id)
            #expect(done.nodes.first?.status == .succeeded)
            for step in 0..<10 {
                let late = try put("?step=\(step)&stream=stdout")
                #expect(late.code == 409 || late.code == 400, "\(late.body)")
            }
            let stored = try FileManager.default.subpathsOfDirectory(atPath: fleet.dataDir + "/output").compactMap { path -> Int? in
                (try? FileManager.default.attributesOfItem(atPath: fleet.dataDir + "/output/" + path)[.size] as? Int).flatMap { $0 }
            }.reduce(0, +)
            #expect(stored <= 96 * 1024 + 4096, "output on disk: \(stored) bytes")
            // What the agent itself uploaded is there and readable.
            let output = try fleet.cli(["task", "output", task.id, node.id])
            #expect(output.stdout.contains("done"))
        }
    }

    @Test func heartbeatsAreBoundedInSizeContentAndRate() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("beater", token: try fleet.token())
            let node = try #require(try await fleet.waitForReady(["beater"])["beater"])
            let url = fleet.url + "/v1/agent/\(node.id)/heartbeat"
            var facts = try #require(node.facts)
            let metrics = try #require(node.metrics)
            func send(_ facts: NodeFacts?) throws -> (code: Int, body: String) {
                let body = String(decoding: try WireCoding.encode(HeartbeatRequest(sentAt: Date(), metrics: metrics, facts: facts, spooledResults: 0)), as: UTF8.self)
                let file = fleet.root + "/hb.json"
                try body.write(toFile: file, atomically: true, encoding: .utf8)
                return try curl(fleet.nodeCurl("beater") + ["-X", "POST", "-H", "content-type: application/json", "--data-binary", "@" + file, url])
            }
            facts.cpuCount = -4
            let negative = try send(facts)
            #expect(negative.code == 400)
            #expect(negative.body.contains("cpuCount"))
            facts.cpuCount = 4
            facts.hostname = "evil\u{1b}[2Jhost"
            #expect(try send(facts).code == 400)
            facts.hostname = "beater"
            facts.cpuModel = String(repeating: "x", count: 1 << 20)
            let huge = try send(facts)
            #expect(huge.code == 413, "\(huge.body)")
            // Too fast: 429 with a Retry-After the agent honours. The headers are read from the
            // refused request itself: on a loaded machine the bucket may refill between requests.
            var statuses: [String] = []
            var refused: String?
            for _ in 0..<20 where refused == nil {
                let answer = try runCommand("/usr/bin/curl", ["-s", "-D", "-", "-o", "/dev/null"] + fleet.nodeCurl("beater") + ["-X", "POST", "-H", "content-type: application/json", "--data", "{}", url])
                let headers = answer.stdout.lowercased()
                statuses.append(String(headers.prefix(while: { $0 != "\r" && $0 != "\n" })))
                if headers.hasPrefix("http/1.1 429") { refused = headers }
            }
            let limited = try #require(refused, "no 429 in 20 quick heartbeats: \(statuses)")
            #expect(limited.contains("retry-after:"), "\(limited)")
            // The stored facts are still the node's real ones, and the real agent carries on.
            let stored = try #require(try await fleet.nodes().first)
            #expect(stored.facts?.cpuCount ?? 0 > 0)
            #expect(stored.facts?.hostname == "beater")
            let resumed = try await eventually(timeout: 20) {
                let seen = try await fleet.nodes().first?.lastHeartbeatAt ?? .distantPast
                return seen > Date().addingTimeInterval(-2)
            }
            #expect(resumed)
        }
    }

    @Test func aNodeHoldsOneLongPollAtATime() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("poller", token: try fleet.token())
            let node = try #require(try await fleet.waitForReady(["poller"])["poller"])
            fleet.agents["poller"]?.stop(grace: 5)
            // Generous times: on a loaded 2-core machine a curl's TLS handshake alone takes seconds.
            let url = fleet.url + "/v1/agent/\(node.id)/bundles?wait=60"
            let first = Task { () -> TimeInterval in
                let start = Date()
                _ = try? curl(fleet.nodeCurl("poller") + [url])
                return Date().timeIntervalSince(start)
            }
            try await Task.sleep(for: .seconds(2))
            let second = Task { _ = try? curl(fleet.nodeCurl("poller") + ["-m", "20", url]) }
            let firstHeld = await first.value
            // Held until the second poll came (so not refused at once), then let go.
            #expect(firstHeld > 1.5, "the first poll ended after \(firstHeld)s, before a second one started")
            #expect(firstHeld < 25, "the first poll was held \(firstHeld)s after a second one started")
            await second.value
        }
    }

    @Test func renewalForANewKeyNeedsProofOfTheCurrentKey() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("renewer", token: try fleet.token())
            let node = try #require(try await fleet.waitForReady(["renewer"])["renewer"])
            let current = try NodeKey(pem: SecureFile.read(fleet.stateDir("renewer") + "/node.key"))
            let attacker = NodeKey()
            let csr = try attacker.certificateSigningRequestPEM(commonName: node.id)
            func renew(_ request: RenewRequest) throws -> (code: Int, body: String) {
                let body = String(decoding: try WireCoding.encode(request), as: UTF8.self)
                return try curl(fleet.nodeCurl("renewer") + ["-X", "POST", "-H", "content-type: application/json", "--data", body, fleet.url + "/v1/agent/\(node.id)/renew"])
            }
            let refused = try renew(RenewRequest(csr: csr))
            #expect(refused.code == 400)
            #expect(refused.body.contains("keyChangeProof"))
            let forged = try renew(RenewRequest(csr: csr, keyChangeProof: try KeyChangeProof.sign(newCSRPEM: csr, with: attacker)))
            #expect(forged.code == 400)
            let proven = try renew(RenewRequest(csr: csr, keyChangeProof: try KeyChangeProof.sign(newCSRPEM: csr, with: current)))
            #expect(proven.code == 200, "\(proven.body)")
            // Same key, no proof needed.
            let same = try renew(RenewRequest(csr: try current.certificateSigningRequestPEM(commonName: node.id)))
            #expect(same.code == 200 || same.code == 403, "\(same.body)")
        }
    }

    @Test func tlsOffersOnlyECDHEWithAEADAndClosesSilentConnections() async throws {
        try await TestFleet.with(configure: { $0.limits = Self.limits { $0.handshakeTimeout = "2s" } }) { fleet in
            try await fleet.startCoordinator()
            let host = "127.0.0.1:\(fleet.port)"
            func handshake(_ options: [String]) throws -> Bool {
                let command = (["openssl", "s_client", "-connect", host, "-CAfile", fleet.dataDir + "/ca.crt"] + options).joined(separator: " ") + " </dev/null 2>&1"
                let result = try runCommand("/bin/sh", ["-c", command])
                return result.stdout.contains("Verify return code: 0") && !result.stdout.contains("Cipher is (NONE)")
            }
            #expect(try handshake(["-tls1_3"]))
            #expect(try handshake(["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"]))
            #expect(try !handshake(["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"]))
            #expect(try !handshake(["-tls1_2", "-cipher", "AES128-GCM-SHA256"]))
            #expect(try !handshake(["-tls1_1"]))

            // A client that connects and says nothing is disconnected after the handshake timeout.
            let started = Date()
            let silent = try runCommand("/usr/bin/python3", ["-c", """
                import socket; s = socket.create_connection(("127.0.0.1", \(fleet.port))); s.settimeout(20)
                print(len(s.recv(1)))
                """])
            let held = Date().timeIntervalSince(started)
            #expect(silent.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(silent.stdout)\(silent.stderr)")
            #expect(held < 8, "a silent connection was held \(held)s")
        }
    }

    @Test func failedEnrollmentsFromOneAddressAreThrottled() async throws {
        try await TestFleet.with(configure: { $0.limits = Self.limits { $0.enrollFailuresPerMinute = 3 } }) { fleet in
            try await fleet.startCoordinator()
            let csr = try NodeKey().certificateSigningRequestPEM(commonName: "x")
            func enroll(_ token: String) throws -> (code: Int, body: String) {
                let body = String(decoding: try WireCoding.encode(EnrollRequest(token: token, csr: csr, hostname: "guess", labels: nil)), as: UTF8.self)
                return try curl(["--cacert", fleet.dataDir + "/ca.crt", "-X", "POST", "-H", "content-type: application/json", "--data", body, fleet.url + "/v1/enroll"])
            }
            for guess in 0..<3 { #expect(try enroll("shoal_guess\(guess)").code == 401) }
            let throttled = try enroll(try fleet.token())
            #expect(throttled.code == 429, "\(throttled.body)")
            #expect(throttled.body.contains("request.rate_limited"))
        }
    }

    static func limits(_ change: (inout CoordinatorLimits) -> Void) -> CoordinatorLimits {
        var limits = CoordinatorLimits()
        change(&limits)
        return limits
    }
}
}
