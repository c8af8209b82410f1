import Foundation
import GRDB
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// What `audit verify` finds when someone with the database file changes the chain: an
/// entry edited in place, edited together with its hash, deleted, inserted; the rows from
/// before the chain changed; and, with an anchored head, a chain rewritten to the end or cut
/// short — which nothing else can show.
@Suite struct AuditChainTamperTests {
    let chain: AuditChainStoreTests

    init() async throws {
        chain = try AuditChainStoreTests()
        for index in 1...4 { try await chain.store.appendAudit(.test("test.change\(index)", actor: "tester")) }
        // Entries 1 (chain started) to 5. The triggers stop mistakes, not someone with the file.
        try chain.tamper("DROP TRIGGER audit_chain_no_update; DROP TRIGGER audit_chain_no_delete")
    }

    /// Replaces entry `seq` with `entry`, sealed with a correct new hash, as a careful forger would.
    func rewrite(_ seq: Int64, previousHash: String, entry: AuditEntry) throws -> String {
        let record = try AuditChainRecord(AuditLink(seq: seq, previousHash: previousHash, entry: entry))
        try chain.tamper(
            "UPDATE audit_chain SET link = ?, hash = ?, actor = ?, action = ?, at = ? WHERE seq = ?",
            [record.link, record.hash, record.actor, record.action, record.at, seq]
        )
        return record.hash
    }

    func hash(_ seq: Int64) async throws -> String {
        try #require(try await chain.entries().first { $0.seq == seq }?.hash)
    }

    @Test func anEntryEditedInPlaceIsNamed() async throws {
        try chain.tamper("UPDATE audit_chain SET link = replace(link, '\"tester\"', '\"someone\"') WHERE seq = 3")
        let broken = try #require(try await chain.verify())
        #expect(broken.seq == 3)
        #expect(broken.kind == .edited)
    }

    @Test func aQueryColumnEditedAloneIsNamed() async throws {
        try chain.tamper("UPDATE audit_chain SET actor = 'someone' WHERE seq = 2")
        let broken = try #require(try await chain.verify())
        #expect(broken.seq == 2)
        #expect(broken.kind == .edited)
        #expect(broken.message.contains("actor"))
    }

    @Test func anEntryRewrittenWithANewHashBreaksTheNextLink() async throws {
        _ = try rewrite(3, previousHash: try await hash(2), entry: .test("test.harmless", actor: "tester"))
        let broken = try #require(try await chain.verify())
        #expect(broken.seq == 4)
        #expect(broken.kind == .insertedOrDeleted)
    }

    @Test func aDeletedEntryIsNamed() async throws {
        try chain.tamper("DELETE FROM audit_chain WHERE seq = 3")
        let broken = try #require(try await chain.verify())
        #expect(broken.seq == 3)
        #expect(broken.kind == .deleted)
        #expect(broken.message.contains("entry 3 is missing"))
    }

    @Test func anInsertedEntryIsFound() async throws {
        // Make room after entry 2 and slip a well-formed link in.
        try chain.tamper("UPDATE audit_chain SET seq = seq + 1000 WHERE seq >= 3; UPDATE audit_chain SET seq = seq - 999 WHERE seq >= 1000")
        let forged = try AuditChainRecord(AuditLink(seq: 3, previousHash: try await hash(2), entry: .test("task.create", actor: "alice")))
        try chain.tamper(
            "INSERT INTO audit_chain (seq, at, actor, action, link, hash) VALUES (?, ?, ?, ?, ?, ?)",
            [forged.seq, forged.at, forged.actor, forged.action, forged.link, forged.hash]
        )
        let broken = try #require(try await chain.verify())
        #expect(broken.seq == 4)
        #expect(broken.kind == .insertedOrDeleted)
    }

    @Test func onlyAnAnchoredHeadShowsAChainRewrittenToItsEndOrCutShort() async throws {
        let anchor = "5:" + (try await hash(5))
        #expect(try await chain.verify(anchor: anchor) == nil)

        // Rewrite entry 4 and re-seal entry 5 onto it: consistent, so only the anchor tells.
        let rewritten = try rewrite(4, previousHash: try await hash(3), entry: .test("test.harmless", actor: "tester"))
        let entry5 = try #require(try await chain.entries().last?.entry)
        _ = try rewrite(5, previousHash: rewritten, entry: entry5)
        #expect(try await chain.verify() == nil)
        let rewrittenBreak = try #require(try await chain.verify(anchor: anchor))
        #expect(rewrittenBreak.kind == .anchorMissing)
        #expect(rewrittenBreak.seq == 5)
        // Without the seq the hash is simply not found.
        #expect(try await chain.verify(anchor: String(anchor.dropFirst(2)))?.kind == .anchorMissing)
    }

    @Test func cuttingTheEndOffShowsAgainstAnAnchor() async throws {
        let anchor = "5:" + (try await hash(5))
        try chain.tamper("DELETE FROM audit_chain WHERE seq = 5")
        #expect(try await chain.verify() == nil)
        let broken = try #require(try await chain.verify(anchor: anchor))
        #expect(broken.kind == .anchorMissing)
        #expect(broken.message.contains("ends at entry 4"))
    }

    @Test func anEmptiedChainIsBroken() async throws {
        try chain.tamper("DELETE FROM audit_chain")
        #expect(try await chain.verify()?.kind == .empty)
    }

    @Test func anAnchorIsReadInEachPrintedFormAndAnythingElseIsRefused() throws {
        let hash = String(repeating: "ab", count: 32)
        #expect(try AuditChainVerifier.Anchor(parsing: "12:\(hash)") == AuditChainVerifier.Anchor(parsing: "12:sha256:\(hash.uppercased())"))
        #expect(try AuditChainVerifier.Anchor(parsing: hash).seq == nil)
        #expect(throws: ShoalError.self) { try AuditChainVerifier.Anchor(parsing: "12:abc") }
        #expect(throws: ShoalError.self) { try AuditChainVerifier.Anchor(parsing: "x:\(hash)") }
    }
}

/// The free-text `audit_log` of a fleet made before the chain: kept, readable, and anchored
/// by the chain's first entry.
@Suite struct LegacyAuditLogTests {
    @Test func rowsFromBeforeTheChainStayReadableAndAChangeToThemIsFound() async throws {
        let directory = NSTemporaryDirectory() + "shoal-audit-legacy-" + RandomID.make(bytes: 6)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/fleet.db"
        let old = try DatabaseQueue(path: path)
        try SQLiteMigrations.migrator.migrate(old, upTo: "v3-trust-boundaries")
        try await old.write { db in
            for (actor, action, detail) in [("admin admin", "token.create", "token tok-1"), ("operator alice", "task.create", "task t-1 \u{1b}[2J")] {
                try db.execute(sql: "INSERT INTO audit_log (at, actor, action, detail) VALUES (?, ?, ?, ?)", arguments: [Date(), actor, action, detail])
            }
        }
        try old.close()

        let store = try SQLiteFleetStore(path: path)
        let legacy = try await store.legacyAuditRows()
        #expect(legacy.map(\.action) == ["token.create", "task.create"])
        let first = try #require(try await store.auditEntries(AuditQuery(after: 0, limit: 1)).first?.entry)
        #expect(first.action == "audit.chain_started")
        #expect(first.details?[LegacyAuditRow.countDetail] == "2")
        #expect(first.details?[LegacyAuditRow.digestDetail] == (try LegacyAuditRow.digest(legacy)))

        func verify() async throws -> AuditChainBreak? {
            var verifier = AuditChainVerifier()
            for entry in try await store.auditEntries(AuditQuery(after: 0, limit: 1000)) {
                if let broken = verifier.check(entry) { return broken }
            }
            return verifier.finish(legacyRows: try await store.legacyAuditRows())
        }
        #expect(try await verify() == nil)

        let tamper = try DatabaseQueue(path: path)
        try await tamper.write { db in
            try db.execute(sql: "DROP TRIGGER audit_log_frozen_update; UPDATE audit_log SET detail = 'nothing happened' WHERE id = 2")
        }
        try tamper.close()
        let broken = try #require(try await verify())
        #expect(broken.kind == .legacyChanged)
    }
}
