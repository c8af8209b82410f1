import Foundation
import GRDB
import Logging
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// Retention on known data: a real SQLite store and a real output folder, tasks finished at
/// chosen times, one pass at a chosen `now`; exactly the old, the over-cap and the orphaned
/// go, oldest first, and nothing of an unfinished task is touched.
@Suite struct StoragePrunerTests {
    let directory: String
    let store: SQLiteFleetStore
    let outputs: TaskOutputFiles
    let now = Date()

    init() async throws {
        directory = NSTemporaryDirectory() + "shoal-prune-" + RandomID.make(bytes: 6)
        try FileManager.default.createDirectory(atPath: directory + "/output", withIntermediateDirectories: true)
        store = try SQLiteFleetStore(path: directory + "/fleet.db")
        outputs = TaskOutputFiles(root: directory + "/output")
        try await store.insertToken(JoinTokenRecord(
            id: "tok", tokenHash: RandomID.hash("t"), createdAt: Date(), expiresAt: Date().addingTimeInterval(600),
            usesAllowed: 2, usesCount: 0, labelsJSON: "{}", createdBy: "test"
        ), audit: .test("token.create"))
        for id in ["n-a", "n-b"] {
            _ = try await store.enroll(tokenHash: RandomID.hash("t"), now: Date()) { JoinTokenStoreTests.node(id, $0) }
        }
    }

    func pruner(_ change: (inout RetentionConfig) -> Void = { _ in }) -> StoragePruner {
        var retention = RetentionConfig()
        change(&retention)
        return StoragePruner(store: store, outputs: outputs, retention: retention, logger: Logger(label: "test"))
    }

    func daysAgo(_ days: Double) -> Date { now.addingTimeInterval(-days * 86400) }

    /// A task with one delivery on n-a, `padding` bytes of request, and `outputBytes` of
    /// output; finished `finishedDaysAgo` days ago, or left running when nil.
    /// `deliveryOpen` leaves its delivery pending even when the rollout finished (a rollout
    /// can end `failed` with work still out); `signedUntil` stores an operator statement.
    func addTask(
        _ id: String, finishedDaysAgo: Double?, padding: Int = 0, outputBytes: Int = 100, deliveryOpen: Bool = false, signedUntil: Date? = nil
    ) async throws {
        let request = "{\"pad\":\"\(String(repeating: "x", count: padding))\"}"
        var task = TaskRecord(id: id, name: id, createdAt: daysAgo(200), createdBy: "test", requestJSON: request, total: 1)
        if let signedUntil {
            let body = TaskCreateRequest(name: id, steps: [try StepSpec(kind: "command", encoding: CommandStepParams(argv: ["/bin/true"]))], selector: "", timeoutSeconds: 30)
            let statement = try TaskStatement(taskID: id, operatorName: "op", issuedAt: daysAgo(200), expiresAt: signedUntil, request: body).signed(with: BundleSigningKey())
            task.statementJSON = String(decoding: try WireCoding.encode(statement), as: UTF8.self)
        }
        try await store.createTask(task, deliveries: [DeliveryRecord(id: "b-" + id, taskID: id, nodeID: "n-a", position: 0, isCanary: false, createdAt: daysAgo(200))], audit: .test("task.create"))
        #expect(try await store.setRolloutStatus(taskID: id, to: .running, reason: nil, now: daysAgo(200)))
        if let finishedDaysAgo {
            if !deliveryOpen {
                try await store.pool.write { db in try db.execute(sql: "UPDATE deliveries SET status = 'succeeded' WHERE taskID = ?", arguments: [id]) }
            }
            #expect(try await store.setRolloutStatus(taskID: id, to: .succeeded, reason: nil, now: daysAgo(finishedDaysAgo)))
        }
        if outputBytes > 0 {
            try writeOutput(Data(repeating: 65, count: outputBytes), taskID: id, deliveryID: "b-" + id, stream: "stdout")
        }
    }

    /// A step's output file where uploads put it.
    func writeOutput(_ data: Data, taskID: String, deliveryID: String, stream: String) throws {
        try SecureFile.makeDirectory(outputs.directory(taskID: taskID, deliveryID: deliveryID))
        try SecureFile.write(data, to: outputs.path(taskID: taskID, deliveryID: deliveryID, step: 0, stream: stream))
    }

    func taskIDs() async throws -> Set<String> { Set(try await store.tasks(limit: 1000).map(\.id)) }
    func folders() -> Set<String> { Set(outputs.storedTasks().keys) }

    @Test func byAgeOldTasksGoOldOutputsGoAndUnfinishedWorkStays() async throws {
        try await addTask("t-old", finishedDaysAgo: 100)
        try await addTask("t-mid", finishedDaysAgo: 40)
        try await addTask("t-new", finishedDaysAgo: 1)
        try await addTask("t-open", finishedDaysAgo: nil)
        try writeOutput(Data("orphan".utf8), taskID: "t-gone", deliveryID: "b-x", stream: "stderr")

        let report = try await pruner().pass(now: now)

        #expect(try await taskIDs() == ["t-mid", "t-new", "t-open"])
        #expect(try await store.deliveries(taskID: "t-old").isEmpty)
        #expect(folders() == ["t-new", "t-open"])
        #expect(report.tasks == 1)
        #expect(report.outputFolders == 3)
        #expect(report.outputBytes == 206)
        // A second pass finds nothing more.
        #expect(try await pruner().pass(now: now).isEmpty)
    }

    @Test func overTheSizeCapsTheOldestFinishedGoFirst() async throws {
        for (index, id) in ["t-1", "t-2", "t-3", "t-4"].enumerated() {
            try await addTask(id, finishedDaysAgo: Double(10 - index), padding: 1000, outputBytes: 1000)
        }
        try await addTask("t-open", finishedDaysAgo: nil, padding: 5000, outputBytes: 5000)

        // Results: ~1010 bytes per finished task, cap 2500: the two oldest go. Outputs: 1000
        // per finished task plus 5000 unfinished; cap 6500: one more folder goes (t-3).
        let report = try await pruner {
            $0.resultsMaxBytes = 2500
            $0.outputsMaxBytes = 6500
        }.pass(now: now)

        #expect(try await taskIDs() == ["t-3", "t-4", "t-open"])
        #expect(folders() == ["t-4", "t-open"])
        #expect(report.tasks == 2)
        #expect(report.outputFolders == 3)
    }

    @Test func aTaskWithWorkStillOutOrAStillValidSignatureIsKept() async throws {
        try await addTask("t-out", finishedDaysAgo: 100, deliveryOpen: true)
        try await addTask("t-signed", finishedDaysAgo: 100, padding: 5000, signedUntil: now.addingTimeInterval(3600))
        try await addTask("t-expired", finishedDaysAgo: 100, signedUntil: daysAgo(99))
        // Neither age nor a size cap takes the first two; the store refuses them too.
        let report = try await pruner { $0.resultsMaxBytes = 1 }.pass(now: now)
        #expect(try await taskIDs() == ["t-out", "t-signed"])
        #expect(report.tasks == 1)
        #expect(try await store.deleteFinishedTasks(ids: ["t-out"]) == 0)
        // Once the signature has expired, a replay is refused by intake, and the row may go.
        #expect(try await pruner().pass(now: now.addingTimeInterval(7200)).tasks == 1)
        #expect(try await taskIDs() == ["t-out"])
    }

    @Test func eventsAndScheduleRunsGoByAgeAndByCountNewestKept() async throws {
        try await store.pool.write { db in
            for node in ["n-a", "n-b"] {
                for day in [50.0, 45, 5, 4, 3, 2, 1] {
                    var event = NodeEventRecord(nodeID: node, at: daysAgo(day), kind: "test", detail: "\(day)")
                    try event.insert(db)
                }
            }
            for day in [40.0, 3, 2, 1] {
                var run = ScheduleRunRecord(scheduleName: "nightly", at: daysAgo(day), outcome: "started", taskID: nil, detail: "\(day)")
                try run.insert(db)
            }
        }
        let report = try await pruner {
            $0.nodeEventsPerNode = 3
            $0.scheduleRunsPerSchedule = 10
        }.pass(now: now)

        // Per node: the two older than 30 days go; of the six left (enrollment's own and five
        // recent) the newest three stay.
        for node in ["n-a", "n-b"] {
            #expect(try await store.events(nodeID: node).map(\.detail) == ["3.0", "2.0", "1.0"])
        }
        #expect(try await store.scheduleRuns(name: "nightly", limit: 10)?.map(\.detail) == ["1.0", "2.0", "3.0"])
        #expect(report.scheduleRuns == 1)
        #expect(report.nodeEvents == 2 * 2 + 2 * 3)
    }
}
