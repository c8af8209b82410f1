import Foundation
import GRDB
import ShoalCore
import Testing

extension SystemTests {
/// The audit chain with real processes: operator actions through the CLI come back from
/// `audit list` as structured entries, `audit verify` passes, and after someone edits or
/// deletes a row of `fleet.db` through a second connection, `audit verify` names that entry
/// and exits 1.
@Suite(.serialized)
struct AuditTests {
    /// Runs SQL on the live `fleet.db` through a second connection, as someone with the file
    /// would: the coordinator's append-only triggers are dropped first, as they would be.
    func tamper(_ fleet: TestFleet, _ sql: String, _ arguments: StatementArguments = []) throws {
        let queue = try DatabaseQueue(path: fleet.dataDir + "/fleet.db")
        try queue.write { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS audit_chain_no_update; DROP TRIGGER IF EXISTS audit_chain_no_delete; DROP TRIGGER IF EXISTS audit_log_frozen_insert")
            try db.execute(sql: sql, arguments: arguments)
        }
        try queue.close()
    }

    func list(_ fleet: TestFleet, _ arguments: [String] = []) throws -> AuditListResponse {
        let result = try fleet.cli(["audit", "list", "--json"] + arguments)
        #expect(result.status == 0, "\(result.stderr)")
        return try WireCoding.decode(AuditListResponse.self, from: Data(result.stdout.utf8))
    }

    @Test func operatorActionsAreChainedListedAndVerifiedAndAnEditedOrDeletedRowIsNamed() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("audited", token: try fleet.token(labels: ["role=web"]))
            let nodeID = try #require(try await fleet.waitForReady(["audited"])["audited"]?.id)
            for arguments in [
                ["nodes", "label", nodeID, "env=prod"],
                ["task", "run", "--selector", "role=web", "--command", "true", "--wait"],
                ["schedule", "add", "nightly", "--cron", "@daily", "--selector", "role=web", "--command", "uptime"],
                ["schedule", "remove", "nightly"],
                ["operator", "create", "vera", "--role", "viewer", "--out", fleet.root + "/vera"],
            ] {
                let result = try fleet.cli(arguments)
                #expect(result.status == 0, "\(arguments): \(result.stderr)")
            }

            // Structured entries, in order, naming who, what, the selector and the task's hash.
            let listed = try list(fleet)
            #expect(listed.entries.map(\.action) == [
                "audit.chain_started", "operator.create", "trust.publish", "token.create", "node.enroll", "node.labels", "task.create", "schedule.add", "schedule.remove",
                "operator.create",
            ])
            let created = try #require(listed.entries.first { $0.action == "task.create" }?.entry)
            #expect(created.actor == "admin")
            #expect(created.role == "admin")
            #expect(created.selector == "role=web")
            #expect(created.target.nodes == [nodeID])
            let taskID = try #require(created.target.task)
            // Which key: the operator key that signed the statement; the task hash is the
            // SHA-256 of the signed statement bytes, as stored with the task.
            let operatorKeyID = try OperatorKeyFile.load(fleet.signingKeyPath).publicKey.keyID
            #expect(created.keyID == operatorKeyID)
            let database = try DatabaseQueue(path: fleet.dataDir + "/fleet.db")
            let (statementJSON, trustJSON) = try await database.read { db in
                (try String.fetchOne(db, sql: "SELECT statementJSON FROM tasks WHERE id = ?", arguments: [created.target.task]),
                 try String.fetchOne(db, sql: "SELECT envelopeJSON FROM trust_documents ORDER BY version LIMIT 1"))
            }
            try database.close()
            let statement = try WireCoding.decode(DSSEEnvelope.self, from: Data(try #require(statementJSON).utf8))
            #expect(created.taskHash == (try statement.payloadBytes()).sha256Hex)
            #expect(created.details?["signer"] == "admin")
            let labelled = try #require(listed.entries.first { $0.action == "node.labels" }?.entry)
            #expect(labelled.keyID == operatorKeyID)
            #expect(labelled.details?["labels"]?.contains("env=prod") == true)
            let scheduled = try #require(listed.entries.first { $0.action == "schedule.add" }?.entry)
            #expect(scheduled.keyID == operatorKeyID)
            #expect(scheduled.taskHash?.count == 64)
            #expect(scheduled.selector == "role=web")
            #expect(listed.head?.seq == listed.entries.last?.seq)
            #expect(try list(fleet, ["--action", "schedule.*"]).entries.map(\.action) == ["schedule.add", "schedule.remove"])
            #expect(try list(fleet, ["--operator", nodeID]).entries.map(\.action) == ["node.enroll"])
            #expect(try list(fleet, ["--since", "1h", "--limit", "2"]).entries.map(\.action) == ["schedule.remove", "operator.create"])
            let table = try fleet.cli(["audit", "list"])
            #expect(table.stdout.contains("admin admin"))
            #expect(table.stdout.contains("task \(taskID); node \(nodeID)"))
            // The log is for admins: a viewer may not read it.
            let viewer = try runCommand(TestFleet.coordinatorBinary, ["audit", "list", "--operator-config", fleet.root + "/vera/operator.yaml"])
            #expect(viewer.status == 1)
            #expect(viewer.stderr.contains("auth.forbidden"))

            // The bundle the task signed was counted against the coordinator's key.
            let keys = try fleet.cli(["audit", "keys", "--json"])
            let uses = try WireCoding.decode(KeyUseResponse.self, from: Data(keys.stdout.utf8)).keys
            let keyID = try BundleSigningKey(fileText: SecureFile.read(fleet.dataDir + "/bundle-signing.key")).publicKey.keyID
            #expect(uses.first { $0.keyID == keyID && $0.use == "delivery.signed" }?.count == 1)
            // The trust document the node got at enrollment, counted against the root key that signed it.
            let trust = try WireCoding.decode(DSSEEnvelope.self, from: Data(try #require(trustJSON).utf8))
            let rootKeyID = try #require(trust.signatures.first?.keyid)
            #expect((uses.first { $0.keyID == rootKeyID && $0.use == "trust.served" }?.count ?? 0) >= 1)
            // A second task signs one more delivery: the counter rises.
            #expect(try fleet.cli(["task", "run", "--selector", "role=web", "--command", "true", "--wait"]).status == 0)
            let after = try WireCoding.decode(KeyUseResponse.self, from: Data(try fleet.cli(["audit", "keys", "--json"]).stdout.utf8)).keys
            #expect(after.first { $0.keyID == keyID && $0.use == "delivery.signed" }?.count == 2)

            // Intact: exit 0, and the head to anchor.
            let intact = try fleet.cli(["audit", "verify"])
            #expect(intact.status == 0, "\(intact.stderr)")
            let now = try list(fleet)
            #expect(intact.stdout.contains("audit chain intact: \(now.entries.count) entries"))
            let head = "\(try #require(now.head?.seq)):\(try #require(now.head?.hash))"
            #expect(intact.stdout.contains("head: \(head)"))
            #expect(try fleet.cli(["audit", "verify", "--expect-head", head]).status == 0)

            // Edited: the task's selector changed in the stored entry.
            let stored = try #require(listed.entries.first { $0.action == "task.create" })
            try tamper(fleet, "UPDATE audit_chain SET link = ? WHERE seq = ?", [stored.canonical.replacingOccurrences(of: "role=web", with: "role=db"), stored.seq])
            let edited = try fleet.cli(["audit", "verify"])
            #expect(edited.status == 1)
            #expect(edited.stderr.contains("audit chain broken at entry \(stored.seq) (edited)"), "\(edited.stderr)")
            #expect(edited.stderr.contains("audit.chain_broken"))
            try tamper(fleet, "UPDATE audit_chain SET link = ? WHERE seq = ?", [stored.canonical, stored.seq])
            #expect(try fleet.cli(["audit", "verify"]).status == 0)

            // Deleted: the label change disappears.
            let labels = try #require(listed.entries.first { $0.action == "node.labels" })
            try tamper(fleet, "DELETE FROM audit_chain WHERE seq = ?", [labels.seq])
            let deleted = try fleet.cli(["audit", "verify"])
            #expect(deleted.status == 1)
            #expect(deleted.stderr.contains("audit chain broken at entry \(labels.seq) (deleted)"), "\(deleted.stderr)")

            // A row slipped into the frozen pre-chain log is caught too, and shown escaped.
            try tamper(fleet, "INSERT INTO audit_log (at, actor, action, detail) VALUES (?, 'admin admin', 'task.create', ?)", [Date(), "nothing \u{1b}[2J here"])
            let legacy = try fleet.cli(["audit", "list", "--legacy"])
            #expect(legacy.stdout.contains("nothing \\x1b[2J here"))
            #expect(!legacy.stdout.contains("\u{1b}"))
        }
    }
}
}
