import Foundation
import ShoalCoordinator
import ShoalCore
import Testing

/// The property of docs/trust.md with real processes: a stolen coordinator cannot run
/// anything, an operator key reaches only its scope, revocation stops a key everywhere, no
/// trust document is ever rolled back, and the root rotates without re-enrolling anyone.
extension SystemTests {
@Suite(.serialized)
struct TrustTests {
    @Test func aRogueCoordinatorFromACopiedDataDirectoryCannotRunAnything() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("victim", token: try fleet.token())
            let node = try #require(try await fleet.waitForReady(["victim"])["victim"])
            #expect(try fleet.cli(["task", "run", "--command", "echo legit", "--wait"]).status == 0)

            // The attacker takes every key and file the coordinator has and runs their own
            // coordinator from a copy, on the address the agent dials.
            fleet.stopCoordinator()
            let stolen = fleet.root + "/stolen"
            try FileManager.default.copyItem(atPath: fleet.dataDir, toPath: stolen)
            let marker = fleet.root + "/pwned"

            let attackerKey = fleet.root + "/attacker.key"
            _ = try OperatorKeyFile.create(at: attackerKey)
            let rogue = try ChildProcess(TestFleet.coordinatorBinary, ["serve", "--data-dir", stolen], logPath: fleet.root + "/rogue.log")
            defer { rogue.stop(grace: 5) }
            #expect(await eventually(timeout: 30) { rogue.log.contains("coordinator listening on") }, "\(rogue.log)")

            // Past the API, straight into its own database: a delivery signed with the stolen
            // delivery key around a task signed by the attacker's key under the admin's name.
            let forged = try TestFleet.statement("touch \(marker)", key: try OperatorKeyFile.load(attackerKey), operatorName: "admin")
            let forgedTask = try await fleet.injectDelivery("forged", nodeID: node.id, statement: forged, dataDir: stolen)
            // The admin credential in the copy is the fleet's: it reads the rogue's answers.
            let delivery = try await fleet.finalDelivery(forgedTask)
            #expect(delivery?.status == .refused, "\(String(describing: delivery?.status))")
            #expect(delivery?.errorCode == .operatorUntrusted, "\(delivery?.message ?? "")")
            rogue.stop(grace: 5)

            // Naming itself an operator in a trust document signed by a root of its own does not
            // get past its own coordinator either: the stored chain is walked from the first
            // document at start, so `serve` refuses the edited database. (An agent handed such a
            // document refuses it too: TrustStateTests.aRotationIsFollowedAlongTheChainAndAForgedRootIsNot.)
            let store = try SQLiteFleetStore(path: stolen + "/fleet.db")
            let fakeRoot = BundleSigningKey()
            let current = try #require(try await store.latestTrustDocument()?.envelope)
            var document = try current.decodePayload(TrustDocument.self, expecting: TrustDocument.payloadType, malformed: .trustMalformed)
            document = try document.next { doc in
                doc.roots = .init(threshold: 1, keys: [fakeRoot.publicKey])
                doc.setOperator(.init(name: "mallory", key: try OperatorKeyFile.load(attackerKey).publicKey, scope: .unrestricted))
            }
            try await store.installTrustDocument(TrustDocumentRecord(version: document.version, envelopeJSON: String(decoding: try WireCoding.encode(document.signed(by: [fakeRoot])), as: UTF8.self), installedAt: Date()), audit: AuditEntry(actor: "forger", role: "admin", action: "trust.publish", result: "forged"))
            let refused = try runCommand(TestFleet.coordinatorBinary, ["serve", "--data-dir", stolen])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("do not form a valid chain") && refused.stderr.contains("trust.bad_signature"), "\(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: marker))
        }
    }

    @Test func anOperatorScopedToStagingCannotReachProductionEvenThroughTheCoordinator() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("stage1", token: try fleet.token(labels: ["env=staging"]))
            try fleet.startAgent("prod1", token: try fleet.token(labels: ["env=prod"]))
            let nodes = try await fleet.waitForReady(["stage1", "prod1"])
            let prod = try #require(nodes["prod1"])
            let stan = try fleet.addOperator("stan", selector: "env=staging")

            let toProd = try fleet.cli(as: stan, ["task", "run", "--selector", "env=prod", "--command", "echo hi", "--wait"])
            #expect(toProd.status != 0)
            #expect(toProd.stderr.contains("bundle.out_of_scope"), "\(toProd.stderr)")
            let toAll = try fleet.cli(as: stan, ["task", "run", "--command", "echo hi", "--wait"])
            #expect(toAll.stderr.contains("bundle.out_of_scope"), "\(toAll.stderr)")
            let toStaging = try fleet.cli(as: stan, ["task", "run", "--selector", "env=staging", "--command", "echo staged", "--wait", "--json"])
            #expect(toStaging.status == 0, "\(toStaging.stderr)")
            #expect(try WireCoding.decode(TaskView.self, from: Data(toStaging.stdout.utf8)).nodes.map(\.hostname) == ["stage1"])
            // Stan cannot move the production node into his scope either.
            let relabel = try fleet.cli(as: stan, ["nodes", "label", prod.id, "env=staging"])
            #expect(relabel.status != 0)
            #expect(relabel.stderr.contains("labels.refused"), "\(relabel.stderr)")

            // A compromised coordinator relabels the production node in its database, so the
            // API lets stan's task through — and the node, which holds its own labels, refuses.
            let store = try SQLiteFleetStore(path: fleet.dataDir + "/fleet.db")
            _ = try await store.setLabels(nodeID: prod.id, labelsJSON: #"{"env":"staging"}"#, version: 1, statementJSON: nil, audit: AuditEntry(actor: "forger", role: "admin", action: "node.labels", result: "forged"))
            let marker = fleet.root + "/stan-on-prod"
            let stanKey = try OperatorKeyFile.load(fleet.root + "/operators/stan/stan.signing.key")
            let injected = try await fleet.injectDelivery("stan-prod", nodeID: prod.id, statement: try TestFleet.statement("touch \(marker)", key: stanKey, operatorName: "stan"))
            let delivery = try await fleet.finalDelivery(injected)
            #expect(delivery?.status == .refused)
            #expect(delivery?.errorCode == .outOfScope, "\(delivery?.message ?? "")")
            #expect(!FileManager.default.fileExists(atPath: marker))
        }
    }

    @Test func revokingAnOperatorStopsItsNextTaskAtTheAPIAndOnEveryNode() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("r1", token: try fleet.token())
            let node = try #require(try await fleet.waitForReady(["r1"])["r1"])
            let olga = try fleet.addOperator("olga")
            #expect(try fleet.cli(as: olga, ["task", "run", "--command", "echo before", "--wait"]).status == 0)
            #expect(try fleet.cli(as: olga, ["schedule", "add", "olgas", "--cron", "@hourly", "--command", "true"]).status == 0)

            let revoke = try fleet.cli(["root", "revoke-operator", "olga", "--root-dir", fleet.rootDir])
            #expect(revoke.status == 0, "\(revoke.stderr)")
            let refused = try fleet.cli(as: olga, ["task", "run", "--command", "echo after", "--wait"])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("bundle.operator_untrusted"), "\(refused.stderr)")
            let schedules = try fleet.cli(["schedule", "list", "--json"])
            #expect(schedules.stdout.contains("stopped"), "\(schedules.stdout)")

            // Every node refuses her signature too, even from a coordinator that ignores revocation.
            let olgaKey = try OperatorKeyFile.load(fleet.root + "/operators/olga/olga.signing.key")
            let marker = fleet.root + "/olga-after"
            let injected = try await fleet.injectDelivery("olga", nodeID: node.id, statement: try TestFleet.statement("touch \(marker)", key: olgaKey, operatorName: "olga"))
            let delivery = try await fleet.finalDelivery(injected)
            #expect(delivery?.errorCode == .operatorUntrusted, "\(delivery?.message ?? "")")
            #expect(!FileManager.default.fileExists(atPath: marker))
        }
    }

    @Test func anOlderTrustDocumentIsNeverAcceptedAndTheRootRotatesTwoOfThree() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("keeper", token: try fleet.token())
            _ = try await fleet.waitForReady(["keeper"])
            let store = try SQLiteFleetStore(path: fleet.dataDir + "/fleet.db")
            let v1 = try #require(try await store.latestTrustDocument())

            // Rotate to a new 2-of-3 root: signed by the old root and two of the new keys.
            let newRoot = fleet.root + "/new-root"
            #expect(try runCommand(TestFleet.coordinatorBinary, ["root", "init", "--out", newRoot, "--keys", "3", "--threshold", "2"]).status == 0)
            try FileManager.default.removeItem(atPath: newRoot + "/root-3.key")
            let rotate = try fleet.cli(["root", "rotate", "--new-root-dir", newRoot, "--root-dir", fleet.rootDir])
            #expect(rotate.status == 0, "\(rotate.stderr)")
            let agentState = fleet.stateDir("keeper") + "/trust.json"
            func agentVersion() -> Int {
                guard let data = FileManager.default.contents(atPath: agentState),
                      let envelope = try? WireCoding.decode(DSSEEnvelope.self, from: data),
                      let document = try? envelope.decodePayload(TrustDocument.self, expecting: TrustDocument.payloadType, malformed: .trustMalformed) else { return 0 }
                return document.version
            }
            #expect(await eventually(timeout: 20) { agentVersion() == 2 })

            // One new root key alone is not enough: the API refuses, a second holder cosigns.
            let draft = fleet.root + "/v3.json"
            let one = try fleet.cli(["root", "renew", "--root-key", newRoot + "/root-1.key", "--out", draft])
            #expect(one.status == 0, "\(one.stderr)")
            let early = try fleet.cli(["root", "publish", draft])
            #expect(early.status != 0)
            #expect(early.stderr.contains("trust.bad_signature"), "\(early.stderr)")
            #expect(try runCommand(TestFleet.coordinatorBinary, ["root", "cosign", draft, "--root-key", newRoot + "/root-2.key"]).status == 0)
            let published = try fleet.cli(["root", "publish", draft])
            #expect(published.status == 0, "\(published.stderr)")
            #expect(await eventually(timeout: 20) { agentVersion() == 3 })
            // The old root alone can sign nothing any more.
            let old = try fleet.cli(["root", "renew", "--root-dir", fleet.rootDir])
            #expect(old.status != 0)
            #expect(old.stderr.contains("[trust."), "\(old.stderr)")

            // Tasks still run under v3 (the fleet keeps working after the rotation).
            #expect(try fleet.cli(["task", "run", "--command", "true", "--wait"]).status == 0)

            // Publishing an older document again is refused (agents refuse it on their own too:
            // TrustStateTests) …
            let v1File = fleet.root + "/v1.json"
            try v1.envelopeJSON.write(toFile: v1File, atomically: true, encoding: .utf8)
            let replay = try fleet.cli(["root", "publish", v1File])
            #expect(replay.status != 0)
            #expect(replay.stderr.contains("trust.rollback"), "\(replay.stderr)")
            // … and a database edited to serve it stops the coordinator at start, saying why.
            try await store.installTrustDocument(TrustDocumentRecord(version: 9, envelopeJSON: v1.envelopeJSON, installedAt: Date()), audit: AuditEntry(actor: "forger", role: "admin", action: "trust.publish", result: "forged"))
            fleet.stopCoordinator()
            let restarted = try ChildProcess(TestFleet.coordinatorBinary, ["serve", "--data-dir", fleet.dataDir], logPath: fleet.root + "/restart.log")
            restarted.process.waitUntilExit()
            #expect(restarted.process.terminationStatus != 0)
            #expect(restarted.log.contains("trust.rollback"), "\(restarted.log)")
            #expect(agentVersion() == 3)
        }
    }

    @Test func bothSignatureLayersVerifyWithSecuresystemslib() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("interop", token: try fleet.token())
            _ = try await fleet.waitForReady(["interop"])
            let run = try fleet.cli(["task", "run", "--command", "true", "--wait", "--json"])
            let view = try WireCoding.decode(TaskView.self, from: Data(run.stdout.utf8))
            let store = try SQLiteFleetStore(path: fleet.dataDir + "/fleet.db")
            let outer = try #require(try await store.deliveries(taskID: view.id).first?.envelope)
            let delivery = try outer.decodePayload(DeliveryPayload.self, expecting: DeliveryPayload.payloadType, malformed: .bundleMalformed)
            let trust = try #require(try await store.latestTrustDocument()?.envelope)
            let document = try trust.decodePayload(TrustDocument.self, expecting: TrustDocument.payloadType, malformed: .trustMalformed)
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("interop/verify_dsse.py").path
            func verify(_ envelope: DSSEEnvelope, keys: [TrustedBundleKey]) throws -> CommandResult {
                let file = fleet.root + "/envelope-\(RandomID.make(bytes: 4)).json"
                try WireCoding.encode(envelope).write(to: URL(fileURLWithPath: file))
                return try runCommand("/usr/bin/env", ["python3", script, file] + keys.map(\.publicKey))
            }
            let layers: [(DSSEEnvelope, [TrustedBundleKey], String)] = [
                (outer, document.deliveryKeys, DeliveryPayload.payloadType),
                (delivery.statement, document.operators.map(\.key), TaskStatement.payloadType),
                (trust, document.roots.keys, TrustDocument.payloadType),
            ]
            for (envelope, keys, type) in layers {
                let result = try verify(envelope, keys: keys)
                #expect(result.status == 0, "\(type): \(result.stdout)\(result.stderr)")
                #expect(result.stdout.contains(type))
            }
            // And it refuses what it should: the task layer checked against the delivery key.
            #expect(try verify(delivery.statement, keys: document.deliveryKeys).status == 1)
        }
    }
}
}
