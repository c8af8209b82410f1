import Foundation
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// Two stores on one database (`StoreDatabase.open`) queueing to the same node at once, as
/// two coordinator replicas do: the node's sequence numbers must still rise one by one, with
/// no number issued twice and none skipped (the agent refuses anything at or below its
/// high-water mark, and waits for a gap that never fills).
@Suite struct ReplicatedQueueStoreTests {
    let one: any FleetStore
    let two: any FleetStore

    init() async throws {
        let database = try await StoreBackend.current().makeDatabase()
        one = try await database.open()
        two = try await database.open()
        try await one.insertToken(JoinTokenRecord(
            id: "tok", tokenHash: RandomID.hash("t"), createdAt: Date(), expiresAt: Date().addingTimeInterval(600),
            usesAllowed: 2, usesCount: 0, labelsJSON: "{}", createdBy: "test"
        ), audit: .test("token.create"))
        for id in ["n-a", "n-b"] {
            _ = try await one.enroll(tokenHash: RandomID.hash("t"), now: Date()) { JoinTokenStoreTests.node(id, $0) }
        }
    }

    @Test func concurrentQueueingFromTwoReplicasIssuesEverySequenceNumberOnce() async throws {
        // One delivery per node in each of 12 tasks.
        var byNode: [String: [String]] = [:]
        for index in 0..<12 {
            let deliveries = ["n-a", "n-b"].enumerated().map { position, node in
                DeliveryRecord(id: "t-\(index)-\(node)", taskID: "t-\(index)", nodeID: node, position: position, isCanary: false, createdAt: Date())
            }
            try await one.createTask(
                TaskRecord(id: "t-\(index)", name: "t-\(index)", createdAt: Date(), createdBy: "test", requestJSON: "{}", total: 2),
                deliveries: deliveries, audit: .test("task.create")
            )
            for delivery in deliveries { byNode[delivery.nodeID, default: []].append(delivery.id) }
        }
        let stores = [one, two]
        let queued = try await withThrowingTaskGroup(of: DeliveryRecord?.self) { group in
            for (offset, id) in byNode.values.joined().enumerated() {
                let store = stores[offset % 2]
                group.addTask {
                    try await store.queue(deliveryID: id, now: Date()) { delivery, sequence in "{\"id\":\"\(delivery.id)\",\"sequence\":\(sequence)}" }
                }
            }
            return try await group.reduce(into: [DeliveryRecord]()) { if let delivery = $1 { $0.append(delivery) } }
        }
        #expect(queued.count == 24)
        for node in ["n-a", "n-b"] {
            let sequences = queued.filter { $0.nodeID == node }.map(\.sequence).sorted()
            #expect(sequences == Array(1...12), "\(node): \(sequences)")
        }
        // What was stored is what was signed: each envelope was made with its own number.
        for delivery in queued {
            let stored = try #require(try await two.delivery(id: delivery.id))
            #expect(stored.status == .queued)
            #expect(stored.sequence == delivery.sequence)
            #expect(stored.envelopeJSON == "{\"id\":\"\(delivery.id)\",\"sequence\":\(delivery.sequence)}")
        }
        let task = try #require(try await one.task(id: "t-0"))
        #expect((task.pendingCount, task.activeCount) == (0, 2))
        // The next number continues from the last, whichever replica issues it.
        try await one.createTask(
            TaskRecord(id: "t-late", name: "t-late", createdAt: Date(), createdBy: "test", requestJSON: "{}", total: 1),
            deliveries: [DeliveryRecord(id: "late", taskID: "t-late", nodeID: "n-a", position: 0, isCanary: false, createdAt: Date())],
            audit: .test("task.create")
        )
        #expect(try await two.queue(deliveryID: "late", now: Date()) { _, _ in "{}" }?.sequence == 13)
    }

    /// A fan-out planned on one replica while the other records every node's heartbeats, as a
    /// busy fleet does: the task and all its deliveries go in at once, whatever the heartbeats
    /// do to the node rows the deliveries point at, and cancelling it meanwhile works too.
    @Test func aFanOutAndItsCancelGoThroughWhileTheNodesKeepBeating() async throws {
        let nodes = (1...200).map { "n-\($0)" }
        try await one.addTestToken("many", uses: nodes.count)
        for node in nodes { try await one.enrollTestNode(node, secret: "many") }
        let beating = Task {
            var beats = 0
            while !Task.isCancelled {
                for node in nodes.shuffled().prefix(20) {
                    // Cancelling this loop cancels its last heartbeat; any other failure is one.
                    if (try? await two.recordHeartbeat(nodeID: node, at: Date(), metricsJSON: "{}", factsJSON: nil, point: nil, labelsVersionHeld: 0, coordinatorURL: nil)) != nil {
                        beats += 1
                    }
                }
            }
            return beats
        }
        defer { beating.cancel() }
        let deliveries = nodes.enumerated().map { position, node in
            DeliveryRecord(id: "big-\(node)", taskID: "big", nodeID: node, position: position, isCanary: false, createdAt: Date())
        }
        try await one.createTask(TaskRecord(id: "big", name: "big", createdAt: Date(), createdBy: "test", requestJSON: "{}", total: nodes.count), deliveries: deliveries, audit: .test("task.create"))
        for delivery in deliveries.prefix(50) {
            _ = try await two.queue(deliveryID: delivery.id, now: Date()) { _, sequence in "{\"sequence\":\(sequence)}" }
        }
        let cancelled = try #require(try await one.requestCancel(taskID: "big", reason: "enough", now: Date(), audit: .test("task.cancel")))
        beating.cancel()
        #expect(await beating.value > 0)
        #expect(cancelled.total == 200 && cancelled.cancelledCount == 200 && cancelled.pendingCount == 0 && cancelled.activeCount == 0)
        #expect(try await two.deliveries(taskID: "big").allSatisfy { $0.status == .cancelled })
    }
}
