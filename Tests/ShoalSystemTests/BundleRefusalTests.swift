import Foundation
import ShoalCoordinator
import ShoalCore
import Testing

/// Bundles the agent must refuse, whatever TLS said: tampered, expired, replayed, for another
/// node, signed by an unknown key, a task no operator signed, a signed task run again. They
/// are put straight into the coordinator's queue, signed with the coordinator's own delivery
/// key (as a compromised coordinator could), and the real agent must report each refusal with
/// its reason and run nothing.
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
                try await store.createTask(task, deliveries: [delivery])
                let queued = try await store.queue(deliveryID: delivery.id, now: Date()) { delivery, sequence in
                    guard let made = try envelope(delivery.id, sequence) else { return oldEnvelope }
                    return String(decoding: try WireCoding.encode(made), as: UTF8.self)
                }
                #expect(queued?.status == .queued)
                return task.id
            }
            let signer = try fleet.signer()
            /// A delivery of a task the admin signed (or `operatorKey` did), targeting every node.
            @Sendable func payload(
                _ deliveryID: String, _ sequence: Int64, node: String, expires: TimeInterval = 600, script: String = "touch \(marker)",
                operatorKey: BundleSigningKey? = nil, statement reuse: DSSEEnvelope? = nil
            ) throws -> DeliveryPayload {
                let step = try StepSpec(kind: "command", encoding: CommandStepParams(script: script))
                let request = TaskCreateRequest(name: "forged", steps: [step], selector: "", timeoutSeconds: 30)
                let statement = try reuse ?? TaskStatement(
                    taskID: "t-" + RandomID.make(bytes: 6), operatorName: "admin", issuedAt: Date(), expiresAt: Date().addingTimeInterval(600), request: request
                ).signed(with: operatorKey ?? signer.key)
                return DeliveryPayload(
                    bundleID: deliveryID, taskID: "t", nodeID: node, sequence: sequence, issuedAt: Date(),
                    expiresAt: Date().addingTimeInterval(expires), statement: statement, files: []
                )
            }

            let tampered = try await inject("tampered") { id, sequence in
                var envelope = try payload(id, sequence, node: lima).signed(with: key)
                let body = try payload(id, sequence, node: lima, script: "touch \(marker)-tampered")
                envelope.payload = try WireCoding.encode(body).base64EncodedString()
                return envelope
            }
            let expired = try await inject("expired") { id, sequence in try payload(id, sequence, node: lima, expires: -60).signed(with: key) }
            let otherNode = try await inject("other-node") { id, sequence in try payload(id, sequence, node: mike).signed(with: key) }
            let untrusted = try await inject("untrusted") { id, sequence in try payload(id, sequence, node: lima).signed(with: BundleSigningKey()) }
            let replayed = try await inject("replayed") { _, _ in nil }
            // What a stolen coordinator could do: sign a delivery with its own (trusted) key
            // around a task no operator signed …
            let forged = try await inject("forged-task") { id, sequence in
                try payload(id, sequence, node: lima, operatorKey: BundleSigningKey()).signed(with: key)
            }
            // … or around a task an operator did sign, but which this node already ran.
            let legitStatement = try #require(try await store.task(id: legitView.id)?.statement)
            let rerun = try await inject("rerun-task") { id, sequence in
                try payload(id, sequence, node: lima, statement: legitStatement).signed(with: key)
            }

            let expectations: [(String, ShoalError.Code)] = [
                (tampered, .bundleBadSignature), (expired, .bundleExpired), (otherNode, .bundleWrongNode),
                (untrusted, .bundleUntrustedKey), (replayed, .bundleReplayed), (forged, .operatorUntrusted), (rerun, .taskReplayed),
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
            #expect(events.count == 7)

            // The node still runs legitimate work afterwards.
            let after = try fleet.cli(["task", "run", "--command", "echo still-fine", "--selector", "", "--wait", "--json"])
            #expect(after.status == 0, "\(after.stderr)")
        }
    }
}
}
