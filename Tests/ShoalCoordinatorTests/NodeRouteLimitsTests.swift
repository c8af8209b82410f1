import Foundation
import GRDB
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// The in-memory pieces that bound node-facing routes: token buckets and the one-poll-per-node
/// notifier; and the label-authority migration on a database from before it.
@Suite struct NodeRouteLimitsTests {
    @Test func aBucketAllowsItsBurstThenAsksToWaitAndRefills() {
        let limiter = KeyedRateLimiter(capacity: 3, perSecond: 1)
        let start = ContinuousClock.now
        for _ in 0..<3 { #expect(limiter.take("n-1", now: start) == nil) }
        #expect(limiter.take("n-1", now: start) == 1)
        #expect(limiter.take("n-2", now: start) == nil, "keys are independent")
        #expect(limiter.check("n-1", now: start + .milliseconds(500)) == 1)
        #expect(limiter.take("n-1", now: start + .milliseconds(1100)) == nil)
    }

    @Test func aFloodOfNewKeysDoesNotGrowTheLimiterWithoutBound() {
        let limiter = KeyedRateLimiter(capacity: 2, perSecond: 1, maxKeys: 100)
        let now = ContinuousClock.now
        for index in 0..<10_000 { _ = limiter.take("addr-\(index)", now: now) }
        #expect(limiter.keyCount <= 100)
    }

    @Test func aNewPollReplacesTheNodesWaitingOne() async {
        let notifier = WorkNotifier()
        let first = await notifier.claim(nodeID: "n-1")
        let waiting = Task { await notifier.wait(for: "n-1", ticket: first, timeout: .seconds(30)) }
        try? await Task.sleep(for: .milliseconds(100))
        let second = await notifier.claim(nodeID: "n-1")
        #expect(await waiting.value == .replaced)
        #expect(await notifier.wait(for: "n-1", ticket: first, timeout: .seconds(1)) == .replaced)
        #expect(await notifier.openPolls == 1)
        await notifier.release(nodeID: "n-1", ticket: first)
        #expect(await notifier.openPolls == 1, "releasing the replaced poll leaves the new one")
        await notifier.release(nodeID: "n-1", ticket: second)
        #expect(await notifier.openPolls == 0)
    }

    @Test func workQueuedBeforeThePollWaitsIsNotLost() async {
        let notifier = WorkNotifier()
        let ticket = await notifier.claim(nodeID: "n-1")
        await notifier.notify(nodeIDs: ["n-1"])
        let started = ContinuousClock.now
        #expect(await notifier.wait(for: "n-1", ticket: ticket, timeout: .seconds(10)) == .work)
        #expect(ContinuousClock.now - started < .seconds(1))
        // Without a claim, a notification is not remembered (no poll to give it to).
        await notifier.notify(nodeIDs: ["n-2"])
        let other = await notifier.claim(nodeID: "n-2")
        #expect(await notifier.wait(for: "n-2", ticket: other, timeout: .milliseconds(200)) == .timeout)
    }

    @Test func theMigrationMovesLabelsTheTokenDidNotGiveToClaimed() async throws {
        let directory = NSTemporaryDirectory() + "shoal-migrate-" + RandomID.make(bytes: 6)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/fleet.db"
        // A database at the schema before label authority, with a node whose config claimed env=prod.
        let queue = try DatabaseQueue(path: path)
        try SQLiteMigrations.migrator.migrate(queue, upTo: "v2-schedules")
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO join_tokens (id, tokenHash, createdAt, expiresAt, usesAllowed, usesCount, labelsJSON, createdBy) VALUES ('tok', 'h', '2026-01-01 00:00:00.000', '2027-01-01 00:00:00.000', 1, 1, '{\"role\":\"web\"}', 'admin')")
            try db.execute(sql: """
                INSERT INTO nodes (id, hostname, status, labelsJSON, enrolledAt, certificateSerial, certificateExpiresAt, lastSequence, tokenID)
                VALUES ('n-1', 'rogue', 'ready', '{"role":"web","env":"prod","gpu.count":"8"}', '2026-01-01 00:00:00.000', 's', '2027-01-01 00:00:00.000', 0, 'tok')
                """)
        }
        try queue.close()
        let store = try SQLiteFleetStore(path: path)
        let node = try #require(try await store.node(id: "n-1"))
        #expect(node.labels == ["role": "web"])
        #expect(node.claimedLabels == ["env": "prod", "gpu.count": "8"])
        #expect(try await store.events(nodeID: "n-1").contains { $0.kind == "labels_claimed" && $0.detail.contains("env") })
    }
}
