import Foundation
import GRDB
import Logging
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// The scheduler against a real fleet directory and SQLite store, with explicit times:
/// due schedules start a rollout, never two runs at once, every run recorded.
@Suite struct ScheduleRunnerTests {
    let fleet: Fleet
    let runner: ScheduleRunner
    let signer: OperatorSigner

    init() async throws {
        let directory = NSTemporaryDirectory() + "shoal-schedule-" + RandomID.make(bytes: 6)
        _ = try FleetInitializer(
            dataDir: directory, advertiseURL: "https://127.0.0.1:1", listen: "127.0.0.1:1", extraNames: [], force: false, adminDir: directory + "/admin"
        ).run()
        fleet = try await Fleet.load(dataDir: directory)
        try await fleet.prepare()
        signer = OperatorSigner(name: "admin", key: try OperatorKeyFile.load(directory + "/admin/operator.key"))
        try await fleet.store.insertToken(JoinTokenRecord(
            id: "tok", tokenHash: RandomID.hash("t"), createdAt: Date(), expiresAt: Date().addingTimeInterval(600),
            usesAllowed: 1, usesCount: 0, labelsJSON: "{\"role\":\"db\"}", createdBy: "test"
        ), audit: .test("token.create"))
        _ = try await fleet.store.enroll(tokenHash: RandomID.hash("t"), now: Date()) { JoinTokenStoreTests.node("n-a", $0) }
        let logger = Logger(label: "test")
        runner = ScheduleRunner(fleet: fleet, engine: RolloutEngine(fleet: fleet, notifier: WorkNotifier(), logger: logger), logger: logger)
    }

    func addSchedule(_ name: String, cron: String, selector: String = "role=db", due: Date) async throws {
        let step = try StepSpec(kind: "command", encoding: CommandStepParams(script: "true"))
        let request = TaskCreateRequest(name: name, steps: [step], selector: selector, timeoutSeconds: 60, expiresInSeconds: 600)
        var record = ScheduleRecord(name: name, cron: cron, requestJSON: try request.jsonText(), createdAt: Date(), createdBy: "test", nextRunAt: due)
        record.statementJSON = try signer.sign(request, schedule: .init(name: name, cron: cron)).statement.jsonText()
        try await fleet.store.insertSchedule(record, audit: .test("schedule.add"))
    }

    @Test func aDueScheduleStartsARolloutAndMovesToItsNextTime() async throws {
        let now = Date()
        try await addSchedule("backup", cron: "@every 1h", due: now.addingTimeInterval(-1))
        try await addSchedule("later", cron: "@every 1h", due: now.addingTimeInterval(600))
        let runs = try await runner.tick(now: now)
        #expect(runs.map(\.scheduleName) == ["backup"])
        #expect(runs.first?.outcome == "started")
        let taskID = try #require(runs.first?.taskID)
        #expect(try await fleet.store.task(id: taskID)?.createdBy == "schedule:backup")
        let schedule = try #require(try await fleet.store.schedules().readable.first { $0.name == "backup" })
        #expect(try schedule.nextRunAt == CronSchedule(parsing: "@every 1h").next(after: now))
        #expect(schedule.lastTaskID == taskID)
        // The run is audited as the schedule's, with the key that signed the schedule and the
        // hash of the signed statement the task carries.
        let entry = try #require(try await fleet.store.auditEntries(AuditQuery(action: "task.create")).last?.entry)
        #expect(entry.actor == "schedule:backup")
        #expect(entry.keyID == signer.key.publicKey.keyID)
        let statement = try #require(try await fleet.store.task(id: taskID)?.statement)
        #expect(entry.taskHash == (try statement.payloadBytes()).sha256Hex)
        #expect(entry.target.task == taskID)
        #expect(entry.target.nodes == ["n-a"])
        #expect(entry.details?["scheduledAt"] != nil)
    }

    @Test func neverTwoRunsAtOnceAndEveryRunIsRecorded() async throws {
        let now = Date()
        try await addSchedule("sweep", cron: "@every 1m", due: now.addingTimeInterval(-1))
        let first = try await runner.tick(now: now)
        let firstTask = try #require(first.first?.taskID)
        // Due again while the first rollout is unfinished: skipped, not started.
        let second = try await runner.tick(now: now.addingTimeInterval(120))
        #expect(second.first?.outcome == "skipped")
        #expect(second.first?.detail.contains(firstTask) == true)
        #expect(try await fleet.store.tasks(limit: 10).count == 1)
        // Once it has ended, the next due time starts a new one.
        #expect(try await fleet.store.setRolloutStatus(taskID: firstTask, to: .running, reason: nil, now: now))
        #expect(try await fleet.store.setRolloutStatus(taskID: firstTask, to: .succeeded, reason: nil, now: now))
        let third = try await runner.tick(now: now.addingTimeInterval(240))
        #expect(third.first?.outcome == "started")
        let recorded = try await fleet.store.scheduleRuns(name: "sweep", limit: 10)
        #expect(recorded?.map(\.outcome) == ["started", "skipped", "started"])
    }

    @Test func aRunThatCannotStartIsRecordedAsFailedWithTheReason() async throws {
        try await addSchedule("nobody", cron: "@every 1h", selector: "role=none", due: Date().addingTimeInterval(-1))
        let runs = try await runner.tick(now: Date())
        #expect(runs.first?.outcome == "failed")
        #expect(runs.first?.detail.contains("task.no_nodes_matched") == true)
    }

    @Test func anUnreadableScheduleIsSkippedAndReportedAndTheOthersStillRun() async throws {
        let now = Date()
        try await addSchedule("backup", cron: "@every 1h", due: now.addingTimeInterval(-1))
        // What an unbounded `@every` once stored: a next-run date GRDB cannot read back.
        let store = try #require(fleet.store as? SQLiteFleetStore)
        try await store.pool.write { db in
            try db.execute(sql: """
                INSERT INTO schedules (name, cron, requestJSON, createdAt, createdBy, nextRunAt)
                VALUES ('huge', '@every 9223372036854775807', '{}', '2026-01-01 00:00:00.000', 'test', '')
                """)
        }
        let stored = try await fleet.store.schedules()
        #expect(stored.readable.map(\.name) == ["backup"])
        #expect(stored.broken.map(\.name) == ["huge"])
        #expect(stored.broken.first?.cron == "@every 9223372036854775807")
        #expect(stored.broken.first?.problem.contains("cannot be read") == true)
        let runs = try await runner.tick(now: now)
        #expect(runs.map(\.scheduleName) == ["backup"])
        #expect(runs.first?.outcome == "started")
        // It can still be removed.
        #expect(try await fleet.store.deleteSchedule(name: "huge", audit: .test("schedule.remove")))
        #expect(try await fleet.store.schedules().broken.isEmpty)
    }

    @Test func runsOfAScheduleThatNeverExistedAreNil() async throws {
        #expect(try await fleet.store.scheduleRuns(name: "nothing", limit: 10) == nil)
        try await addSchedule("quiet", cron: "@every 1h", due: Date().addingTimeInterval(600))
        #expect(try await fleet.store.scheduleRuns(name: "quiet", limit: 10)?.isEmpty == true)
    }

    @Test func aScheduleWhoseSignerWasRevokedStopsAndSaysWhy() async throws {
        try await addSchedule("orphan", cron: "@every 1h", due: Date().addingTimeInterval(-1))
        // A schedule stored without a signature (made before operator signing) never runs either.
        try await fleet.store.insertSchedule(ScheduleRecord(
            name: "unsigned", cron: "@every 1h", requestJSON: try TaskCreateRequest(name: "u", steps: [], selector: "", timeoutSeconds: 60).jsonText(),
            createdAt: Date(), createdBy: "test", nextRunAt: Date().addingTimeInterval(-1)
        ), audit: .test("schedule.add"))
        let current = try fleet.trust.require()
        let root = try RootKeyDirectory(path: fleet.paths.root + "/admin/root").keys()
        let next = try current.document.next { $0.operators = [] }
        try await fleet.trust.install(try next.signed(by: root), store: fleet.store, by: PeerIdentity(role: .admin, name: "admin"))
        let runs = try await runner.tick(now: Date())
        #expect(runs.map(\.outcome) == ["stopped", "stopped"])
        #expect(runs.first { $0.scheduleName == "orphan" }?.detail.contains("bundle.operator_untrusted") == true)
        #expect(runs.first { $0.scheduleName == "unsigned" }?.detail.contains("before operator signing") == true)
        #expect(try await fleet.store.tasks(limit: 10).isEmpty)
    }
}
