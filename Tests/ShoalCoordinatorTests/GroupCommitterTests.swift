import Foundation
import GRDB
import ShoalCore
import Synchronization
import Testing

@testable import ShoalCoordinator

/// Writes that arrive together share a transaction, yet each stays atomic on its own.
@Suite struct GroupCommitterTests {
    let database: DatabasePool
    let commits = CommitTally()

    init() throws {
        let directory = NSTemporaryDirectory() + "shoal-group-" + RandomID.make(bytes: 6)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        database = try DatabasePool(path: directory + "/test.db")
        try database.write { db in
            try db.execute(sql: "CREATE TABLE items (id INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE)")
        }
    }

    func countCommits() {
        let commits = self.commits
        database.add(transactionObserver: CommitCounter { commits.add() }, extent: .databaseLifetime)
    }

    @Test("200 concurrent writes all land in far fewer commits, each returning its own value")
    func concurrentWritesShareCommits() async throws {
        countCommits()
        let committer = GroupCommitter(database: database)
        let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
            for n in 0..<200 {
                group.addTask {
                    try await committer.write { db in
                        try db.execute(sql: "INSERT INTO items (value) VALUES (?)", arguments: ["v\(n)"])
                        return db.lastInsertedRowID
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(ids).count == 200)
        #expect(try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM items") } == 200)
        let commitCount = commits.count
        #expect(commitCount < 200)
        print("200 writes in \(commitCount) commits")
    }

    @Test("a write that fails undoes only its own changes; the others in its transaction stay")
    func failingWriteUndoesOnlyItself() async throws {
        let committer = GroupCommitter(database: database)
        try await committer.write { db in try db.execute(sql: "INSERT INTO items (value) VALUES ('taken')") }
        async let first: Void = committer.write { db in try db.execute(sql: "INSERT INTO items (value) VALUES ('a')") }
        let failing = Task {
            try await committer.write { db in
                try db.execute(sql: "INSERT INTO items (value) VALUES ('half-done')")
                try db.execute(sql: "INSERT INTO items (value) VALUES ('taken')")  // UNIQUE: fails
            }
        }
        async let last: Void = committer.write { db in try db.execute(sql: "INSERT INTO items (value) VALUES ('b')") }
        try await first
        await #expect(throws: DatabaseError.self) { try await failing.value }
        try await last
        let values = try await database.read { db in try String.fetchAll(db, sql: "SELECT value FROM items ORDER BY value") }
        #expect(values == ["a", "b", "taken"])
    }

    @Test("a write sees the writes queued before it, in order")
    func writesRunInOrder() async throws {
        let committer = GroupCommitter(database: database)
        for n in 0..<20 {
            try await committer.write { db in try db.execute(sql: "INSERT INTO items (value) VALUES (?)", arguments: ["\(n)"]) }
        }
        let seen = try await committer.write { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM items") ?? 0 }
        #expect(seen == 20)
    }
}

final class CommitTally: Sendable {
    private let value = Mutex(0)
    func add() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}

/// Counts committed transactions.
private final class CommitCounter: TransactionObserver, Sendable {
    let onCommit: @Sendable () -> Void
    init(onCommit: @escaping @Sendable () -> Void) { self.onCommit = onCommit }
    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidCommit(_ db: Database) { onCommit() }
    func databaseDidRollback(_ db: Database) {}
}
