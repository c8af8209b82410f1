import Foundation
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// The delivery state machine at the store (each backend's, `StoreBackend`): sequences, legal
/// and illegal moves, counters, result recording, cancellation, revocation.
@Suite struct DeliveryStoreTests {
    let store: any FleetStore

    init() async throws {
        store = try await StoreBackend.makeStore()
        try await store.insertToken(JoinTokenRecord(
            id: "tok", tokenHash: RandomID.hash("t"), createdAt: Date(), expiresAt: Date().addingTimeInterval(600),
            usesAllowed: 2, usesCount: 0, labelsJSON: "{}", createdBy: "test"
        ), audit: .test("token.create"))
        for id in ["n-a", "n-b"] {
            _ = try await store.enroll(tokenHash: RandomID.hash("t"), now: Date()) { JoinTokenStoreTests.node(id, $0) }
        }
    }

    /// A task with one pending delivery per node; returns the delivery ids.
    func makeTask(_ id: String, nodes: [String]) async throws -> [String] {
        let deliveries = nodes.enumerated().map { index, node in
            DeliveryRecord(id: "\(id)-\(node)", taskID: id, nodeID: node, position: index, isCanary: false, createdAt: Date())
        }
        try await store.createTask(TaskRecord(id: id, name: id, createdAt: Date(), createdBy: "test", requestJSON: "{}", total: nodes.count), deliveries: deliveries, audit: .test("task.create"))
        return deliveries.map(\.id)
    }

    func queue(_ id: String) async throws -> DeliveryRecord? {
        try await store.queue(deliveryID: id, now: Date()) { delivery, sequence in "{\"node\":\"\(delivery.nodeID)\",\"sequence\":\(sequence)}" }
    }

    @Test func sequencesAreIssuedPerNodeInQueueOrder() async throws {
        let first = try await makeTask("t-1", nodes: ["n-a", "n-b"])
        let second = try await makeTask("t-2", nodes: ["n-a"])
        #expect(try await queue(second[0])?.sequence == 1)
        #expect(try await queue(first[0])?.sequence == 2)
        #expect(try await queue(first[1])?.sequence == 1)
        // Queuing twice does nothing the second time.
        #expect(try await queue(first[0]) == nil)
    }

    @Test func countersFollowEveryTransition() async throws {
        let ids = try await makeTask("t-1", nodes: ["n-a", "n-b"])
        var task = try #require(try await store.task(id: "t-1"))
        #expect((task.pendingCount, task.activeCount) == (2, 0))
        _ = try await queue(ids[0])
        _ = try await store.takeQueuedDeliveries(nodeID: "n-a", now: Date())
        #expect(try await store.startDelivery(deliveryID: ids[0], nodeID: "n-a", now: Date()))
        _ = try await store.transition(deliveryID: ids[1], from: [.pending], to: .failed, now: Date(), errorCode: "node.unreachable", message: "down", notBefore: nil, countAttempt: true)
        task = try #require(try await store.task(id: "t-1"))
        #expect((task.pendingCount, task.activeCount, task.failureCount) == (0, 1, 1))
    }

    @Test func illegalTransitionsAreRefusedAndLogged() async throws {
        let ids = try await makeTask("t-1", nodes: ["n-a"])
        // pending → running skips queued and sent: refused.
        let moved = try await store.transition(deliveryID: ids[0], from: nil, to: .running, now: Date(), errorCode: nil, message: nil, notBefore: nil, countAttempt: false)
        #expect(moved == nil)
        #expect(try await store.deliveries(taskID: "t-1").first?.status == .pending)
        #expect(try await store.events(nodeID: "n-a").contains { $0.kind == "illegal_transition" })
        #expect(try await store.setRolloutStatus(taskID: "t-1", to: .running, reason: nil, now: Date()))
        #expect(try await store.setRolloutStatus(taskID: "t-1", to: .succeeded, reason: nil, now: Date()))
        #expect(try await !store.setRolloutStatus(taskID: "t-1", to: .running, reason: nil, now: Date()))
    }

    @Test func pollingDeliversUntilTheNodeStartsTheBundle() async throws {
        let ids = try await makeTask("t-1", nodes: ["n-a", "n-b"])
        for id in ids { _ = try await queue(id) }
        let taken = try await store.takeQueuedDeliveries(nodeID: "n-a", now: Date())
        #expect(taken.map(\.status) == [.sent])
        // The node polls again without starting it: that first poll died. Hand it out again.
        #expect(try await store.takeQueuedDeliveries(nodeID: "n-a", now: Date()).map(\.id) == taken.map(\.id))
        #expect(try await store.startDelivery(deliveryID: taken[0].id, nodeID: "n-a", now: Date()))
        #expect(try await store.takeQueuedDeliveries(nodeID: "n-a", now: Date()).isEmpty)
        #expect(try await store.takeQueuedDeliveries(nodeID: "n-b", now: Date()).count == 1)
    }

    @Test func resultsAreRecordedOnceAndOnlyFromTheirNode() async throws {
        let id = try #require(try await makeTask("t-1", nodes: ["n-a"]).first)
        _ = try await queue(id)
        let result = BundleResult(
            deliveryID: id, bundleID: id, taskID: "t-1", nodeID: "n-a", sequence: 1, status: .succeeded,
            startedAt: Date(), finishedAt: Date(),
            steps: [StepResult(index: 0, name: "c", kind: "command", status: .changed, exitCode: 0, stdout: CapturedOutput(head: "hello\nworld", tail: "", totalBytes: 11))]
        )
        // Another node's claim is acknowledged (so it stops resending) but not recorded.
        #expect(try await store.recordResult(result, fromNode: "n-b", now: Date()))
        #expect(try await store.deliveries(taskID: "t-1").first?.status == .queued)
        #expect(try await store.recordResult(result, fromNode: "n-a", now: Date()))
        let stored = try #require(try await store.deliveries(taskID: "t-1").first)
        #expect(stored.status == .succeeded)
        #expect(stored.firstLine == "hello")
        #expect(try await store.task(id: "t-1")?.succeededCount == 1)
        var late = result
        late.status = .failed
        #expect(try await store.recordResult(late, fromNode: "n-a", now: Date()))
        #expect(try await store.deliveries(taskID: "t-1").first?.status == .succeeded)
    }

    @Test func cancelWithdrawsQueuedWorkAndFlagsRunningWork() async throws {
        let ids = try await makeTask("t-1", nodes: ["n-a", "n-b"])
        for id in ids { _ = try await queue(id) }
        _ = try await store.takeQueuedDeliveries(nodeID: "n-a", now: Date())
        _ = try await store.requestCancel(taskID: "t-1", reason: "test", now: Date(), audit: .test("task.cancel"))
        let deliveries = try await store.deliveries(taskID: "t-1")
        #expect(deliveries.first { $0.nodeID == "n-b" }?.status == .cancelled)
        #expect(try await store.takeQueuedDeliveries(nodeID: "n-b", now: Date()).isEmpty)
        #expect(try await store.cancellationsRequested(nodeID: "n-a") == [ids[0]])
        // The next heartbeat's answer carries it.
        let beat = try await store.recordHeartbeat(nodeID: "n-a", at: Date(), metricsJSON: "{}", factsJSON: nil, point: nil, labelsVersionHeld: 0, coordinatorURL: nil)
        #expect(beat?.cancellations == [ids[0]])
        // The agent asks before starting: told not to, and the delivery is cancelled.
        #expect(try await !store.startDelivery(deliveryID: ids[0], nodeID: "n-a", now: Date()))
        #expect(try await store.deliveries(taskID: "t-1").allSatisfy { $0.status == .cancelled })
    }

    @Test func revokingANodeCancelsAllItsUnfinishedWorkAndNothingElse() async throws {
        let first = try await makeTask("t-1", nodes: ["n-a", "n-b"])
        let second = try await makeTask("t-2", nodes: ["n-a"])
        _ = try await queue(first[0])
        _ = try await store.takeQueuedDeliveries(nodeID: "n-a", now: Date())
        #expect(try await store.startDelivery(deliveryID: first[0], nodeID: "n-a", now: Date()))
        _ = try await queue(second[0])

        let revoked = try #require(try await store.revoke(nodeID: "n-a", reason: "key stolen", now: Date(), audit: .test("node.revoke")))
        #expect(revoked.status == .revoked)
        #expect(try await store.nodeCredential(id: "n-a")?.status == .revoked, "refused from its next request on")
        // Running and queued alike, in every task; the other node's work is untouched.
        for id in [first[0], second[0]] {
            let delivery = try #require(try await store.delivery(id: id))
            #expect(delivery.status == .cancelled)
            #expect(delivery.errorCode == ShoalError.Code.nodeRevoked.rawValue)
        }
        #expect(try await store.delivery(id: first[1])?.status == .pending)
        #expect(try await store.takeQueuedDeliveries(nodeID: "n-a", now: Date()).isEmpty)
        let task = try #require(try await store.task(id: "t-1"))
        #expect((task.pendingCount, task.activeCount, task.cancelledCount) == (1, 0, 1))
        #expect(try await store.events(nodeID: "n-a").map(\.kind).last == "revoked")
        #expect(try await store.revoke(nodeID: "n-nobody", reason: "x", now: Date(), audit: .test("node.revoke")) == nil)
    }

    @Test func silentNodesAreMarkedDownAndComeBackOnHeartbeat() async throws {
        let past = Date().addingTimeInterval(-120)
        _ = try await store.recordHeartbeat(nodeID: "n-a", at: past, metricsJSON: "{}", factsJSON: nil, point: nil, labelsVersionHeld: 0, coordinatorURL: nil)
        _ = try await store.recordHeartbeat(nodeID: "n-b", at: Date(), metricsJSON: "{}", factsJSON: nil, point: nil, labelsVersionHeld: 0, coordinatorURL: nil)
        let down = try await store.markDown(lastHeartbeatBefore: Date().addingTimeInterval(-60), now: Date())
        #expect(down == ["n-a"])
        #expect(try await store.node(id: "n-a")?.status == .down)
        _ = try await store.recordHeartbeat(nodeID: "n-a", at: Date(), metricsJSON: "{}", factsJSON: nil, point: nil, labelsVersionHeld: 0, coordinatorURL: nil)
        #expect(try await store.node(id: "n-a")?.status == .ready)
        #expect(try await store.events(nodeID: "n-a").map(\.kind) == ["enrolled", "down", "ready"])
    }
}
