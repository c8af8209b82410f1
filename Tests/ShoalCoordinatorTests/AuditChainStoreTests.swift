import Foundation
import GRDB
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// The audit chain at the store, on a real SQLite file: every change appends a linked entry
/// in its own transaction, a change that fails leaves none, an entry that cannot be written
/// undoes its change, and the verifier names the entry someone edited, deleted or inserted.
@Suite final class AuditChainStoreTests {
    let directory = NSTemporaryDirectory() + "shoal-audit-" + RandomID.make(bytes: 6)
    let path: String
    let store: SQLiteFleetStore

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = directory + "/fleet.db"
        store = try SQLiteFleetStore(path: path)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// A second connection, as someone with the database file would open it.
    func tamper(_ sql: String, _ arguments: StatementArguments = []) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: sql, arguments: arguments) }
        try queue.close()
    }

    func entries() async throws -> [AuditLogEntry] {
        try await store.auditEntries(AuditQuery(after: 0, limit: AuditQuery.maxLimit))
    }

    func verify(anchor: String? = nil) async throws -> AuditChainBreak? {
        var verifier = AuditChainVerifier(anchor: try anchor.map(AuditChainVerifier.Anchor.init(parsing:)))
        for entry in try await entries() {
            if let broken = verifier.check(entry) { return broken }
        }
        return verifier.finish(legacyRows: try await store.legacyAuditRows())
    }

    func addToken(_ id: String, secret: String) async throws {
        try await store.insertToken(JoinTokenRecord(
            id: id, tokenHash: RandomID.hash(secret), createdAt: Date(), expiresAt: Date().addingTimeInterval(600),
            usesAllowed: 1, usesCount: 0, labelsJSON: "{}", createdBy: "test"
        ), audit: .test("token.create"))
    }

    func enroll(_ id: String) async throws {
        try await addToken("tok-\(id)", secret: "s-\(id)")
        _ = try await store.enroll(tokenHash: RandomID.hash("s-\(id)"), now: Date()) { JoinTokenStoreTests.node(id, $0) }
    }

    func schedule(_ name: String) -> ScheduleRecord {
        ScheduleRecord(name: name, cron: "@hourly", requestJSON: "{}", createdAt: Date(), createdBy: "test", nextRunAt: Date())
    }

    @Test func aNewFleetsChainStartsWithOneEntryAndEachChangeAppendsALinkedOne() async throws {
        let start = try #require(try await entries().first)
        #expect(start.seq == 1)
        #expect(start.entry?.action == "audit.chain_started")
        #expect(start.entry?.details?[LegacyAuditRow.countDetail] == "0")

        try await enroll("n-a")
        let task = TaskRecord(id: "t-1", name: "t", createdAt: Date(), createdBy: "alice", requestJSON: "{}", total: 1)
        try await store.createTask(task, deliveries: [
            DeliveryRecord(id: "b-1", taskID: "t-1", nodeID: "n-a", position: 0, isCanary: false, createdAt: Date()),
        ], audit: .test("task.create", actor: "alice"))
        _ = try await store.setLabels(nodeID: "n-a", labelsJSON: "{\"env\":\"prod\"}", version: 1, statementJSON: nil, audit: .test("node.labels"))
        _ = try await store.requestCancel(taskID: "t-1", reason: "test", now: Date(), audit: .test("task.cancel"))
        try await store.insertSchedule(schedule("nightly"), audit: .test("schedule.add"))
        #expect(try await store.deleteSchedule(name: "nightly", audit: .test("schedule.remove")))
        _ = try await store.revoke(nodeID: "n-a", reason: "test", now: Date(), audit: .test("node.revoke"))
        try await store.appendAudit(.test("operator.create"))

        let all = try await entries()
        #expect(all.map(\.action) == [
            "audit.chain_started", "token.create", "node.enroll", "task.create", "node.labels", "task.cancel",
            "schedule.add", "schedule.remove", "node.revoke", "operator.create",
        ])
        #expect(all.map(\.seq) == Array(1...Int64(all.count)))
        var previous = AuditLink.genesisHash
        for stored in all {
            #expect(AuditLink.hash(ofCanonical: stored.canonical) == stored.hash)
            let link = try WireCoding.decode(AuditLink.self, from: Data(stored.canonical.utf8))
            #expect(link.previousHash == previous)
            #expect(link.seq == stored.seq)
            previous = stored.hash
        }
        #expect(try await store.auditHead() == AuditHead(seq: Int64(all.count), hash: previous))
        #expect(all.first { $0.action == "node.enroll" }?.entry?.target == AuditTarget(nodes: ["n-a"], token: "tok-n-a"))
        #expect(try await verify() == nil)
    }

    @Test func queriesFilterByActorActionPrefixAndTimeAndReturnTheNewestOldestFirst() async throws {
        try await store.appendAudit(.test("task.create", actor: "alice"))
        try await store.appendAudit(.test("task.cancel", actor: "bob"))
        try await store.appendAudit(.test("node.revoke", actor: "alice"))
        #expect(try await store.auditEntries(AuditQuery(actor: "alice")).map(\.action) == ["task.create", "node.revoke"])
        #expect(try await store.auditEntries(AuditQuery(action: "task.*")).map(\.actor) == ["alice", "bob"])
        #expect(try await store.auditEntries(AuditQuery(action: "task")).isEmpty)
        #expect(try await store.auditEntries(AuditQuery(limit: 2)).map(\.seq) == [3, 4])
        #expect(try await store.auditEntries(AuditQuery(after: 2, limit: 1)).map(\.seq) == [3])
        #expect(try await store.auditEntries(AuditQuery(since: Date().addingTimeInterval(60))).isEmpty)
        #expect(try await store.auditEntries(AuditQuery(since: Date().addingTimeInterval(-60))).count == 4)
    }

    @Test func aChangeThatDoesNotHappenLeavesNoEntry() async throws {
        try await store.insertSchedule(schedule("nightly"), audit: .test("schedule.add"))
        let before = try await store.auditHead()
        await #expect(throws: ShoalError.self) {
            try await store.insertSchedule(schedule("nightly"), audit: .test("schedule.add"))
        }
        #expect(try await store.revoke(nodeID: "n-nobody", reason: "test", now: Date(), audit: .test("node.revoke")) == nil)
        #expect(try await store.setLabels(nodeID: "n-nobody", labelsJSON: "{}", version: 1, statementJSON: nil, audit: .test("node.labels")) == nil)
        #expect(try await store.requestCancel(taskID: "t-nothing", reason: "test", now: Date(), audit: .test("task.cancel")) == nil)
        #expect(try await store.deleteSchedule(name: "weekly", audit: .test("schedule.remove")) == false)
        #expect(try await store.auditHead() == before)
    }

    @Test func anEntryThatCannotBeWrittenUndoesItsChange() async throws {
        try await enroll("n-a")
        try tamper("CREATE TRIGGER audit_fails BEFORE INSERT ON audit_chain BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        let before = try await store.auditHead()

        await #expect(throws: (any Error).self) { try await addToken("tok-x", secret: "x") }
        #expect(try await store.token(hash: RandomID.hash("x")) == nil)
        let task = TaskRecord(id: "t-1", name: "t", createdAt: Date(), createdBy: "test", requestJSON: "{}", total: 1)
        await #expect(throws: (any Error).self) {
            try await store.createTask(task, deliveries: [
                DeliveryRecord(id: "b-1", taskID: "t-1", nodeID: "n-a", position: 0, isCanary: false, createdAt: Date()),
            ], audit: .test("task.create"))
        }
        #expect(try await store.task(id: "t-1") == nil)
        #expect(try await store.delivery(id: "b-1") == nil)
        await #expect(throws: (any Error).self) {
            _ = try await store.revoke(nodeID: "n-a", reason: "test", now: Date(), audit: .test("node.revoke"))
        }
        #expect(try await store.node(id: "n-a")?.status == .ready)
        await #expect(throws: (any Error).self) {
            _ = try await store.setLabels(nodeID: "n-a", labelsJSON: "{\"env\":\"prod\"}", version: 1, statementJSON: nil, audit: .test("node.labels"))
        }
        #expect(try await store.node(id: "n-a")?.labels == [:])
        await #expect(throws: (any Error).self) {
            try await store.insertSchedule(schedule("nightly"), audit: .test("schedule.add"))
        }
        #expect(try await store.schedules().readable.isEmpty)
        #expect(try await store.auditHead() == before)

        try tamper("DROP TRIGGER audit_fails")
        try await addToken("tok-x", secret: "x")
        #expect(try await store.token(hash: RandomID.hash("x")) != nil)
        #expect(try await verify() == nil)
    }

    @Test func concurrentChangesNeverChainOntoTheSameEntry() async throws {
        let store = store
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask { try await store.appendAudit(.test("test.parallel", actor: "op\(index)")) }
            }
            try await group.waitForAll()
        }
        #expect(try await entries().count == 41)
        #expect(try await verify() == nil)
    }

    @Test func theChainRefusesUpdatesAndDeletesAndTheOldLogRefusesWrites() async throws {
        try await store.appendAudit(.test())
        #expect(throws: (any Error).self) { try tamper("UPDATE audit_chain SET actor = 'mallory' WHERE seq = 2") }
        #expect(throws: (any Error).self) { try tamper("DELETE FROM audit_chain WHERE seq = 2") }
        #expect(throws: (any Error).self) {
            try tamper("INSERT INTO audit_log (at, actor, action, detail) VALUES (?, 'x', 'y', 'z')", [Date()])
        }
    }
}
