import Foundation
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
        fleet = try Fleet.load(dataDir: directory)
        try await fleet.prepare()
        signer = OperatorSigner(name: "admin", key: try OperatorKeyFile.load(directory + "/admin/operator.key"))
        try await fleet.store.insertToken(JoinTokenRecord(
            id: "tok", tokenHash: RandomID.hash("t"), createdAt: Date(), expiresAt: Date().addingTimeInterval(600),
            usesAllowed: 1, usesCount: 0, labelsJSON: "{\"role\":\"db\"}", createdBy: "test"
        ))
        _ = try await fleet.store.enroll(tokenHash: RandomID.hash("t"), now: Date()) { JoinTokenStoreTests.node("n-a", $0) }
        let logger = Logger(label: "test")
        runner = ScheduleRunner(fleet: fleet, engine: RolloutEngine(fleet: fleet, notifier: WorkNotifier(), logger: logger), logger: logger)
    }

    func addSchedule(_ name: String, cron: String, selector: String = "role=db", due: Date) async throws {
        let step = try StepSpec(kind: "command", encoding: CommandStepParams(script: "true"))
        let request = TaskCreateRequest(name: name, steps: [step], selector: selector, timeoutSeconds: 60, expiresInSeconds: 600)
        var record = ScheduleRecord(name: name, cron: cron, requestJSON: try request.jsonText(), createdAt: Date(), createdBy: "test", nextRunAt: due)
        record.statementJSON = try signer.sign(request, schedule: .init(name: name, cron: cron)).statement.jsonText()
        try await fleet.store.insertSchedule(record)
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
        let schedule = try #require(try await fleet.store.schedules().first { $0.name == "backup" })
        #expect(try schedule.nextRunAt == CronSchedule(parsing: "@every 1h").next(after: now))
        #expect(schedule.lastTaskID == taskID)
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
        #expect(recorded.map(\.outcome) == ["started", "skipped", "started"])
    }

    @Test func aRunThatCannotStartIsRecordedAsFailedWithTheReason() async throws {
        try await addSchedule("nobody", cron: "@every 1h", selector: "role=none", due: Date().addingTimeInterval(-1))
        let runs = try await runner.tick(now: Date())
        #expect(runs.first?.outcome == "failed")
        #expect(runs.first?.detail.contains("task.no_nodes_matched") == true)
    }

    @Test func aScheduleWhoseSignerWasRevokedStopsAndSaysWhy() async throws {
        try await addSchedule("orphan", cron: "@every 1h", due: Date().addingTimeInterval(-1))
        // A schedule stored without a signature (made before operator signing) never runs either.
        try await fleet.store.insertSchedule(ScheduleRecord(
            name: "unsigned", cron: "@every 1h", requestJSON: try TaskCreateRequest(name: "u", steps: [], selector: "", timeoutSeconds: 60).jsonText(),
            createdAt: Date(), createdBy: "test", nextRunAt: Date().addingTimeInterval(-1)
        ))
        let current = try fleet.trust.require()
        let root = try RootKeyDirectory(path: fleet.paths.root + "/admin/root").keys()
        let next = try current.document.next { $0.operators = [] }
        try await fleet.trust.install(try next.signed(by: root), store: fleet.store, audit: nil)
        let runs = try await runner.tick(now: Date())
        #expect(runs.map(\.outcome) == ["stopped", "stopped"])
        #expect(runs.first { $0.scheduleName == "orphan" }?.detail.contains("bundle.operator_untrusted") == true)
        #expect(runs.first { $0.scheduleName == "unsigned" }?.detail.contains("before operator signing") == true)
        #expect(try await fleet.store.tasks(limit: 10).isEmpty)
    }
}
