import Foundation
import Hummingbird
import NIOCore
import ShoalCore
import ShoalTestSupport
import Testing

@testable import ShoalCoordinator

/// `coordinator db copy`: a SQLite fleet with something in every kind of table, copied into a
/// real PostgreSQL database, reads back the same through the PostgreSQL store, keeps writing
/// where the copy left off (ids, the audit chain), and a second copy into it is refused.
@Suite struct PostgresStoreCopyTests {
    let directory = NSTemporaryDirectory() + "shoal-copy-" + RandomID.make(bytes: 6)
    var sqlitePath: String { directory + "/fleet.db" }
    var outputDirectory: String { directory + "/output" }

    /// Tokens, two nodes with heartbeats (metric history) and events, a task whose one
    /// delivery has a result, another cancelled, key use, audit entries, and an output file.
    func makeFleet() async throws -> SQLiteFleetStore {
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        let store = try SQLiteFleetStore(path: sqlitePath)
        try await store.insertToken(JoinTokenRecord(
            id: "tok", tokenHash: RandomID.hash("t"), createdAt: Date(), expiresAt: Date().addingTimeInterval(600),
            usesAllowed: 2, usesCount: 0, labelsJSON: "{\"role\":\"web\"}", createdBy: "test"
        ), audit: .test("token.create"))
        for id in ["n-a", "n-b"] {
            _ = try await store.enroll(tokenHash: RandomID.hash("t"), now: Date()) { JoinTokenStoreTests.node(id, $0) }
            let metrics = MetricHistoryStoreTests.metrics(cpu: 40, gpus: 1)
            _ = try await store.recordHeartbeat(
                nodeID: id, at: Date(), metricsJSON: try metrics.jsonText(), factsJSON: try MetricHistoryStoreTests.facts.jsonText(),
                point: MetricPoint(minuteOf: Date(), metrics: metrics), labelsVersionHeld: 0, coordinatorURL: nil
            )
        }
        let deliveries = ["n-a", "n-b"].enumerated().map { index, node in
            DeliveryRecord(id: "d-\(node)", taskID: "t-1", nodeID: node, position: index, isCanary: false, createdAt: Date())
        }
        try await store.createTask(TaskRecord(id: "t-1", name: "copy me", createdAt: Date(), createdBy: "test", requestJSON: "{}", total: 2), deliveries: deliveries, audit: .test("task.create"))
        _ = try await store.queue(deliveryID: "d-n-a", now: Date()) { _, sequence in "{\"sequence\":\(sequence)}" }
        _ = try await store.takeQueuedDeliveries(nodeID: "n-a", now: Date())
        _ = try await store.startDelivery(deliveryID: "d-n-a", nodeID: "n-a", now: Date())
        _ = try await store.recordResult(BundleResult(
            deliveryID: "d-n-a", bundleID: "b", taskID: "t-1", nodeID: "n-a", sequence: 1, status: .succeeded, startedAt: Date(), finishedAt: Date(),
            steps: [StepResult(index: 0, name: "say", kind: "command", status: .changed, exitCode: 0)]
        ), fromNode: "n-a", now: Date())
        _ = try await store.transition(deliveryID: "d-n-b", from: [.pending], to: .cancelled, now: Date(), errorCode: "task.cancelled", message: "no", notBefore: nil, countAttempt: false)
        try await store.addKeyUse([KeyUseCount(keyID: "sha256:k", use: .deliverySigned, count: 3, firstAt: Date(), lastAt: Date())])
        _ = try await TaskOutputFiles(root: outputDirectory).store(
            RequestBody(buffer: ByteBuffer(string: "hello from n-a\n")), taskID: "t-1", deliveryID: "d-n-a", step: 0, stream: "stdout",
            streamCap: 1 << 20, deliveryCap: 1 << 20
        )
        return store
    }

    @Test func aFleetCopiedToPostgreSQLReadsTheSameAndCarriesOn() async throws {
        let source = try await makeFleet()
        let url = try DatabaseURL(try await PostgresServer.shared().createDatabase() + "?sslmode=disable", source: "test")
        let report = try await FleetStoreCopier.copy(sqlitePath: sqlitePath, outputDirectory: outputDirectory, to: url)
        let rows = Dictionary(uniqueKeysWithValues: report.rows.map { ($0.table, $0.count) })
        #expect(rows["nodes"] == 2 && rows["deliveries"] == 2 && rows["tasks"] == 1 && rows["join_tokens"] == 1)
        #expect((rows["node_events"] ?? 0) >= 2 && (rows["node_metric_minutes"] ?? 0) == 2 && rows["key_use"] == 1)
        #expect(report.outputFiles == 1 && report.outputBytes == 15)
        #expect(report.auditHead == (try await source.auditHead()))

        let target = try await PostgresFleetStore(url: url, maxConnections: 2)
        #expect(try await target.nodes().map(\.id) == (try await source.nodes().map(\.id)))
        #expect(try await target.nodes().map(\.labels) == [["role": "web"], ["role": "web"]])
        let task = try #require(try await target.task(id: "t-1"))
        #expect((task.name, task.total, task.succeededCount, task.cancelledCount) == ("copy me", 2, 1, 1))
        #expect(try await target.deliveries(taskID: "t-1").map(\.status) == [.succeeded, .cancelled])
        #expect(try await target.delivery(id: "d-n-a")?.result?.steps.first?.exitCode == 0)
        #expect(try await target.auditEntries(AuditQuery(limit: 100)).map(\.hash) == (try await source.auditEntries(AuditQuery(limit: 100)).map(\.hash)))
        #expect(try await target.keyUse().map(\.count) == [3])
        #expect(try await target.events(nodeID: "n-a").map(\.kind) == (try await source.events(nodeID: "n-a").map(\.kind)))
        #expect(try await StepOutputStoreTests.collect(PostgresStepOutputs(store: target).body(taskID: "t-1", delivery: try #require(try await target.delivery(id: "d-n-a"))))
            == "==> step 1 (say) stdout <==\nhello from n-a\n")

        // It carries on where the copy stopped: new event ids after the copied ones, the chain
        // continued from the copied head.
        let lastEvent = try #require(try await target.events(nodeID: "n-b").last?.id)
        _ = try await target.revoke(nodeID: "n-b", reason: "test", now: Date(), audit: .test("node.revoke"))
        #expect(try #require(try await target.events(nodeID: "n-b").last?.id) > lastEvent)
        #expect(try await target.auditHead()?.seq == (report.auditHead?.seq ?? 0) + 1)

        // Into a database that holds a fleet: refused, nothing changed.
        await #expect(throws: ShoalError.self) {
            _ = try await FleetStoreCopier.copy(sqlitePath: sqlitePath, outputDirectory: nil, to: url)
        }
        #expect(try await target.auditHead()?.seq == (report.auditHead?.seq ?? 0) + 1)
    }
}
