import Foundation
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// The long poll on a task (`GET /v1/tasks/{id}/changes`) against a real store: it answers
/// at once when the version is behind, at the next change, or unchanged at the timeout, and
/// the version (kept in the database) never lets a change slip between two calls.
/// A wait that must be answered by a change is an hour long, under the suite's time limit: what
/// it returns says whether the change woke it, not the clock, which a loaded machine stretches.
@Suite(.timeLimit(.minutes(2))) struct TaskChangeWaitTests {
    let fleet: Fleet
    let routes: TaskChangeRoutes
    let databasePath: String

    init() async throws {
        let directory = NSTemporaryDirectory() + "shoal-taskwait-" + RandomID.make(bytes: 6)
        _ = try FleetInitializer(
            dataDir: directory, advertiseURL: "https://127.0.0.1:1", listen: "127.0.0.1:1", extraNames: [], force: false, adminDir: directory + "/admin"
        ).run()
        fleet = try await Fleet.load(dataDir: directory)
        databasePath = fleet.paths.database
        routes = TaskChangeRoutes(fleet: fleet, limiter: TaskWaitLimiter())
        try await fleet.store.insertToken(JoinTokenRecord(
            id: "tok", tokenHash: RandomID.hash("t"), createdAt: Date(), expiresAt: Date().addingTimeInterval(600),
            usesAllowed: 2, usesCount: 0, labelsJSON: "{}", createdBy: "test"
        ), audit: .test("token.create"))
        for id in ["n-a", "n-b"] {
            _ = try await fleet.store.enroll(tokenHash: RandomID.hash("t"), now: Date()) { JoinTokenStoreTests.node(id, $0) }
        }
        let deliveries = ["n-a", "n-b"].enumerated().map { index, node in
            DeliveryRecord(id: "t-1-\(node)", taskID: "t-1", nodeID: node, position: index, isCanary: false, createdAt: Date())
        }
        try await fleet.store.createTask(
            TaskRecord(id: "t-1", name: "t-1", createdAt: Date(), createdBy: "test", requestJSON: "{}", total: 2), deliveries: deliveries, audit: .test("task.create")
        )
    }

    func version() async throws -> Int64 { try #require(try await fleet.store.task(id: "t-1")).changeVersion }

    func queue(_ node: String) async throws {
        _ = try await fleet.store.queue(deliveryID: "t-1-\(node)", now: Date()) { _, sequence in "{\"sequence\":\(sequence)}" }
    }

    @Test func answersAtOnceWhenTheCallerIsBehind() async throws {
        let seen = try await version()
        try await queue("n-a")
        // An hour: only an answer at once (the change is already stored) ends it within the
        // suite's time limit, whatever a loaded machine does to the clock.
        let task = try await routes.changed(taskID: "t-1", after: seen, wait: .seconds(3600))
        #expect(task.changeVersion > seen)
    }

    @Test func answersAtTheNextChangeNotAtTheTimeout() async throws {
        let seen = try await version()
        let waiting = Task { [routes] in
            try await routes.changed(taskID: "t-1", after: seen, wait: .seconds(3600))
        }
        try await Task.sleep(for: .milliseconds(300))
        try await queue("n-b")
        let task = try await waiting.value
        #expect(task.changeVersion > seen)
        #expect(task.activeCount == 1)
        #expect(fleet.store.taskChanges.watchCount == 0, "the watch is released when the wait answers")
    }

    @Test func answersUnchangedWhenTheWaitRunsOut() async throws {
        let seen = try await version()
        let started = ContinuousClock.now
        let task = try await routes.changed(taskID: "t-1", after: seen, wait: .milliseconds(300))
        let took = ContinuousClock.now - started
        #expect(task.changeVersion == seen)
        #expect(took >= .milliseconds(300), "took \(took)")
    }

    @Test func aChangeBetweenTwoCallsIsNotMissedNotEvenAcrossARestart() async throws {
        let first = try await routes.changed(taskID: "t-1", after: nil, wait: .zero)
        // The change lands while nobody waits (the client is between two calls).
        try await queue("n-a")
        // A coordinator restart: a fresh store on the same database, with an empty feed.
        let restarted = try SQLiteFleetStore(path: databasePath)
        let again = try #require(try await restarted.task(id: "t-1"))
        #expect(again.changeVersion > first.changeVersion)
        // An hour: it must answer at once from the stored version, not wait for a new change.
        let next = try await routes.changed(taskID: "t-1", after: first.changeVersion, wait: .seconds(3600))
        #expect(next.changeVersion == again.changeVersion)
    }

    @Test func everyKindOfChangeMovesTheVersion() async throws {
        var seen = try await version()
        func moved() async throws -> Bool {
            let now = try await version()
            defer { seen = now }
            return now > seen
        }
        try await queue("n-a")
        #expect(try await moved(), "queued")
        _ = try await fleet.store.takeQueuedDeliveries(nodeID: "n-a", now: Date())
        #expect(try await moved(), "sent")
        #expect(try await fleet.store.startDelivery(deliveryID: "t-1-n-a", nodeID: "n-a", now: Date()))
        #expect(try await moved(), "started")
        #expect(try await fleet.store.setRolloutStatus(taskID: "t-1", to: .running, reason: nil, now: Date()))
        #expect(try await moved(), "rollout running")
        try await fleet.store.requestHalt(taskID: "t-1", reason: "test", code: .rolloutHalted, now: Date())
        #expect(try await moved(), "halted")
    }

    @Test func aWaitOverAMinuteIsRefused() throws {
        #expect(try TaskChangeRoutes.waitDuration(nil) == .seconds(30))
        #expect(try TaskChangeRoutes.waitDuration(60) == .seconds(60))
        let error = #expect(throws: ShoalError.self) { try TaskChangeRoutes.waitDuration(61) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("0 to 60 seconds") == true)
        #expect(throws: ShoalError.self) { try TaskChangeRoutes.waitDuration(-1) }
    }

    @Test func tooManyWaitsPerCredentialOrInAllAreRefused() throws {
        let limiter = TaskWaitLimiter(perCredential: 2, total: 3)
        let first = try limiter.acquire(credential: "alice")
        _ = try limiter.acquire(credential: "alice")
        let error = #expect(throws: ShoalError.self) { try limiter.acquire(credential: "alice") }
        #expect(error?.code == .rateLimited)
        #expect(error?.retryAfterSeconds == 1)
        #expect(error?.message.contains("this credential already has 2 task waits open") == true)
        _ = try limiter.acquire(credential: "bob")
        let full = #expect(throws: ShoalError.self) { try limiter.acquire(credential: "carol") }
        #expect(full?.message.contains("the coordinator already holds 3 task waits") == true)
        // An answered wait frees its place.
        first.release()
        _ = try limiter.acquire(credential: "carol")
        #expect(limiter.openCount == 3)
    }

    @Test func aSummaryViewCarriesTheCountsWithoutTheNodes() async throws {
        #expect(try TaskChangeRoutes.includeNodes(nil) && TaskChangeRoutes.includeNodes("true"))
        #expect(try !TaskChangeRoutes.includeNodes("false"))
        let error = #expect(throws: ShoalError.self) { try TaskChangeRoutes.includeNodes("no") }
        #expect(error?.code == .invalidArgument)
        try await queue("n-a")
        let task = try #require(try await fleet.store.task(id: "t-1"))
        let summary = try await TaskPlanner(fleet: fleet).view(of: task, includeNodes: false)
        #expect(summary.nodes.isEmpty)
        #expect(summary.counts == ["pending": 1, "active": 1])
        #expect(summary.changeVersion == task.changeVersion)
        let whole = try await TaskPlanner(fleet: fleet).view(of: task)
        #expect(whole.nodes.map(\.nodeID).sorted() == ["n-a", "n-b"])
    }
}
