import Foundation
import ShoalCoordinator
import ShoalCore
import Testing

/// Bundles the agent must refuse, whatever TLS said: tampered, expired, replayed, for another
/// node, signed by an unknown key. They are put straight into the coordinator's queue (as a
/// compromised coordinator or database could) and the real agent must report each refusal
/// with its reason and run nothing.
extension SystemTests {
@Suite(.serialized)
struct BundleRefusalTests {
    @Test func agentRefusesBadBundlesAndReportsWhy() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("lima", token: try fleet.token())
            try fleet.startAgent("mike", token: try fleet.token())
            let nodes = try await fleet.waitForReady(["lima", "mike"])
            let lima = try #require(nodes["lima"]).id
            let mike = try #require(nodes["mike"]).id

            // A legitimate task first, so there is an old envelope to replay.
            let legit = try fleet.cli(["task", "run", "--command", "echo first", "--selector", "", "--wait", "--json"])
            #expect(legit.status == 0, "\(legit.stderr)")
            let legitView = try WireCoding.decode(TaskView.self, from: Data(legit.stdout.utf8))

            let store = try SQLiteFleetStore(path: fleet.dataDir + "/fleet.db")
            let key = try BundleSigningKey(fileText: SecureFile.read(fleet.dataDir + "/bundle-signing.key"))
            let oldEnvelope = try #require(try await store.deliveries(taskID: legitView.id).first { $0.nodeID == lima }?.envelopeJSON)
            let marker = fleet.root + "/must-not-exist"

            // Each forged bundle is queued under a task that is already finished, so the
            // coordinator's rollout engine leaves it alone and only the agent judges it.
            func inject(_ name: String, envelope: @escaping @Sendable (String, Int64) throws -> DSSEEnvelope?) async throws -> String {
                var task = TaskRecord(id: "t-\(name)", name: name, createdAt: Date(), createdBy: "test", requestJSON: "{}", total: 1)
                task.status = .cancelled
                let delivery = DeliveryRecord(id: "b-\(name)", taskID: task.id, nodeID: lima, position: 0, isCanary: false, createdAt: Date())
                try await store.createTask(task, deliveries: [delivery], audit: AuditEntry(actor: "forger", role: "admin", action: "task.create", result: "forged"))
                let queued = try await store.queue(deliveryID: delivery.id, now: Date()) { delivery, sequence in
                    guard let made = try envelope(delivery.id, sequence) else { return oldEnvelope }
                    return String(decoding: try WireCoding.encode(made), as: UTF8.self)
                }
                #expect(queued?.status == .queued)
                return task.id
            }
            @Sendable func payload(_ deliveryID: String, _ sequence: Int64, node: String, expires: TimeInterval = 600) throws -> BundlePayload {
                BundlePayload(
                    bundleID: deliveryID, taskID: "t", nodeID: node, sequence: sequence, issuedAt: Date(),
                    expiresAt: Date().addingTimeInterval(expires), timeoutSeconds: 30,
                    steps: [try StepSpec(kind: "command", encoding: CommandStepParams(script: "touch \(marker)"))]
                )
            }

            let tampered = try await inject("tampered") { id, sequence in
                var envelope = try payload(id, sequence, node: lima).signed(with: key)
                var body = try payload(id, sequence, node: lima)
                body.steps = [try StepSpec(kind: "command", encoding: CommandStepParams(script: "touch \(marker)-tampered"))]
                envelope.payload = try WireCoding.encode(body).base64EncodedString()
                return envelope
            }
            let expired = try await inject("expired") { id, sequence in try payload(id, sequence, node: lima, expires: -60).signed(with: key) }
            let otherNode = try await inject("other-node") { id, sequence in try payload(id, sequence, node: mike).signed(with: key) }
            let untrusted = try await inject("untrusted") { id, sequence in try payload(id, sequence, node: lima).signed(with: BundleSigningKey()) }
            let replayed = try await inject("replayed") { _, _ in nil }

            let expectations: [(String, ShoalError.Code)] = [
                (tampered, .bundleBadSignature), (expired, .bundleExpired), (otherNode, .bundleWrongNode),
                (untrusted, .bundleUntrustedKey), (replayed, .bundleReplayed),
            ]
            for (taskID, code) in expectations {
                var view = try await fleet.task(taskID)
                _ = await eventually { view = (try? await fleet.task(taskID)) ?? view; return view.nodes.first?.status.isFinal == true }
                let delivery = try #require(view.nodes.first)
                #expect(delivery.status == .refused, "\(taskID): \(delivery.status)")
                #expect(delivery.errorCode == code, "\(taskID): \(String(describing: delivery.errorCode)) \(delivery.message ?? "")")
                #expect(delivery.message?.isEmpty == false)
            }
            #expect(!FileManager.default.fileExists(atPath: marker))
            #expect(!FileManager.default.fileExists(atPath: marker + "-tampered"))
            // Refusals are on the node's record too.
            let events = try await store.events(nodeID: lima).filter { $0.kind == "bundle_refused" }
            #expect(events.count == 5)

            // The node still runs legitimate work afterwards.
            let after = try fleet.cli(["task", "run", "--command", "echo still-fine", "--selector", "", "--wait", "--json"])
            #expect(after.status == 0, "\(after.stderr)")
        }
    }
}
}
