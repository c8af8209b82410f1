import Foundation
import ShoalCoordinator
import ShoalCore
import Testing

/// The coordinator's delivery key rotates with overlap and no re-enrollment: the root lists
/// the new key, the coordinator switches, deliveries the old key signed still run until the
/// root removes it, and after that nothing it signs runs.
extension SystemTests {
@Suite(.serialized)
struct DeliveryKeyRotationTests {
    @Test func theDeliveryKeyRotatesWithOverlapAndTheRetiredKeyStopsWorking() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("rotor", token: try fleet.token())
            let node = try #require(try await fleet.waitForReady(["rotor"])["rotor"])
            let keyFile = fleet.dataDir + "/bundle-signing.key"
            let old = try BundleSigningKey(fileText: SecureFile.read(keyFile))
            func coordinator(_ arguments: [String]) throws -> CommandResult {
                try runCommand(TestFleet.coordinatorBinary, arguments + ["--data-dir", fleet.dataDir])
            }

            // Switching before the root lists the new key is refused and changes nothing.
            let made = try coordinator(["delivery-key", "new"])
            #expect(made.status == 0, "\(made.stderr)")
            let early = try coordinator(["delivery-key", "activate"])
            #expect(early.status != 0 && early.stderr.contains("trust.missing"), "\(early.stderr)")
            #expect(try BundleSigningKey(fileText: SecureFile.read(keyFile)).publicKey == old.publicKey)

            let listed = try fleet.cli(["root", "add-delivery-key", "--key", fleet.dataDir + "/bundle-signing.next.pub", "--root-dir", fleet.rootDir])
            #expect(listed.status == 0, "\(listed.stderr)")
            let activated = try coordinator(["delivery-key", "activate"])
            #expect(activated.status == 0, "\(activated.stderr)")
            let new = try BundleSigningKey(fileText: SecureFile.read(keyFile))
            #expect(new.publicKey != old.publicKey)
            fleet.stopCoordinator()
            try await fleet.startCoordinator()
            _ = try await fleet.waitForReady(["rotor"])
            let audited = try fleet.cli(["audit", "list", "--json", "--action", "delivery_key.activate"])
            #expect(audited.stdout.contains(new.publicKey.keyID) && audited.stdout.contains(old.publicKey.keyID), "\(audited.stdout) \(audited.stderr)")
            #expect(try fleet.cli(["audit", "verify"]).status == 0)

            // New work is signed with the new key and runs.
            let run = try fleet.cli(["task", "run", "--command", "true", "--wait", "--json"])
            #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
            let view = try WireCoding.decode(TaskView.self, from: Data(run.stdout.utf8))
            let store = try SQLiteFleetStore(path: fleet.dataDir + "/fleet.db")
            #expect(try await store.deliveries(taskID: view.id).first?.envelope?.signatures.map(\.keyid) == [new.publicKey.keyID])

            // During the overlap a delivery the old key signed (queued before the switch) runs.
            let admin = try OperatorKeyFile.load(fleet.signingKeyPath)
            let overlap = try await fleet.injectDelivery("overlap", nodeID: node.id, statement: TestFleet.statement("true", key: admin, operatorName: "admin"), signedWith: old)
            let overlapRun = try await fleet.finalDelivery(overlap)
            #expect(overlapRun?.status == .succeeded, "\(overlapRun?.message ?? "")")

            // Once the root removes the old key, agents refuse what it signs.
            let removed = try fleet.cli(["root", "remove-delivery-key", old.publicKey.keyID, "--root-dir", fleet.rootDir])
            #expect(removed.status == 0, "\(removed.stderr)")
            let version = try #require(try await store.latestTrustDocument()?.version)
            let trustFile = fleet.stateDir("rotor") + "/trust.json"
            #expect(await eventually(timeout: 20) {
                guard let data = FileManager.default.contents(atPath: trustFile),
                      let envelope = try? WireCoding.decode(DSSEEnvelope.self, from: data),
                      let document = try? envelope.decodePayload(TrustDocument.self, expecting: TrustDocument.payloadType, malformed: .trustMalformed) else { return false }
                return document.version == version
            })
            let stale = try await fleet.injectDelivery("stale", nodeID: node.id, statement: TestFleet.statement("true", key: admin, operatorName: "admin"), signedWith: old)
            let staleRun = try await fleet.finalDelivery(stale)
            #expect(staleRun?.status == .refused)
            #expect(staleRun?.errorCode == .bundleUntrustedKey, "\(staleRun?.message ?? "")")
            #expect(try fleet.cli(["task", "run", "--command", "true", "--wait"]).status == 0)

            // The root refuses edits that would publish nothing or leave no delivery key.
            let again = try fleet.cli(["root", "remove-delivery-key", old.publicKey.keyID, "--root-dir", fleet.rootDir])
            #expect(again.status != 0 && again.stderr.contains("request.not_found"), "\(again.stderr)")
            let last = try fleet.cli(["root", "remove-delivery-key", new.publicKey.keyID, "--root-dir", fleet.rootDir])
            #expect(last.status != 0 && last.stderr.contains("only delivery key"), "\(last.stderr)")
            #expect(try await store.latestTrustDocument()?.version == version)
        }
    }
}
}
