import Foundation
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// What an operator or a rollout's halt does to a task's deliveries, and a poll handing out
/// again what an earlier poll took but never confirmed.
extension DeliveryStoreTests {
    @Test func cancelMarksTheTaskOnceAndLeavesAFinishedTaskAlone() async throws {
        let ids = try await makeTask("t-1", nodes: ["n-a"])
        let cancelled = try #require(try await store.requestCancel(taskID: "t-1", reason: "changed my mind", now: Date(), audit: .test("task.cancel")))
        #expect(cancelled.cancelRequested)
        #expect(cancelled.statusReason == "changed my mind")
        #expect(cancelled.cancelledCount == 1 && cancelled.pendingCount == 0, "the returned task carries the moves' counters")
        let delivery = try #require(try await store.delivery(id: ids[0]))
        #expect(delivery.status == .cancelled)
        #expect(delivery.errorCode == "task.cancelled")
        #expect(delivery.message == "changed my mind")
        #expect(try await store.auditEntries(AuditQuery(action: "task.cancel")).count == 1)

        // A finished rollout is answered as it is: nothing changes, nothing is recorded.
        #expect(try await store.setRolloutStatus(taskID: "t-1", to: .cancelled, reason: "cancelled", now: Date()))
        let finished = try #require(try await store.task(id: "t-1"))
        let again = try #require(try await store.requestCancel(taskID: "t-1", reason: "again", now: Date(), audit: .test("task.cancel")))
        #expect(again.statusReason == "cancelled")
        #expect(again.changeVersion == finished.changeVersion)
        #expect(try await store.auditEntries(AuditQuery(action: "task.cancel")).count == 1)
        #expect(try await store.requestCancel(taskID: "t-nobody", reason: "x", now: Date(), audit: .test("task.cancel")) == nil)
    }

    @Test func haltCancelsOnlyPendingDeliveriesAndOnlyOnce() async throws {
        let ids = try await makeTask("t-1", nodes: ["n-a", "n-b"])
        _ = try await queue(ids[0])
        try await store.requestHalt(taskID: "t-1", reason: "canary failed", code: .canaryFailed, now: Date())
        let task = try #require(try await store.task(id: "t-1"))
        #expect(task.haltRequested)
        #expect(task.statusReason == "canary failed")
        #expect((task.pendingCount, task.activeCount, task.cancelledCount) == (0, 1, 1))
        #expect(try await store.delivery(id: ids[0])?.status == .queued, "what is with the node finishes")
        let halted = try #require(try await store.delivery(id: ids[1]))
        #expect(halted.status == .cancelled)
        #expect(halted.errorCode == ShoalError.Code.canaryFailed.rawValue)
        #expect(halted.message == "not started: canary failed")

        // A second halt changes nothing, not even the reason or the version.
        try await store.requestHalt(taskID: "t-1", reason: "again", code: .canaryFailed, now: Date())
        let after = try #require(try await store.task(id: "t-1"))
        #expect(after.statusReason == "canary failed")
        #expect(after.changeVersion == task.changeVersion)
        try await store.requestHalt(taskID: "t-nobody", reason: "x", code: .canaryFailed, now: Date())
    }

    @Test func aPollHandsOutAgainWhatItTookWithTheNewWorkInSequenceOrder() async throws {
        let first = try await makeTask("t-1", nodes: ["n-a"])
        let second = try await makeTask("t-2", nodes: ["n-a"])
        _ = try await queue(first[0])
        let sentAt = Date(timeIntervalSince1970: 1_800_000_000)
        let taken = try await store.takeQueuedDeliveries(nodeID: "n-a", now: sentAt)
        #expect(taken.map(\.id) == [first[0]])
        _ = try await queue(second[0])

        // The first poll died: the next one gets the unconfirmed bundle again, first, with
        // its first hand-out time, and the new one beside it.
        let again = try await store.takeQueuedDeliveries(nodeID: "n-a", now: sentAt.addingTimeInterval(30))
        #expect(again.map(\.id) == [first[0], second[0]])
        #expect(again.map(\.sequence) == [1, 2])
        #expect(again.map(\.status) == [.sent, .sent])
        #expect(again.first?.sentAt == sentAt)
        #expect(again.last?.sentAt == sentAt.addingTimeInterval(30))
        // Handing out again is no move: t-1 still counts one active delivery.
        let task = try #require(try await store.task(id: "t-1"))
        #expect((task.pendingCount, task.activeCount) == (0, 1))
        #expect(try await store.cancellationsRequested(nodeID: "n-a").isEmpty)
    }
}
