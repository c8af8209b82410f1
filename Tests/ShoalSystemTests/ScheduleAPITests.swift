import Foundation
import GRDB
import ShoalClient
import ShoalCore
import Testing

@testable import ShoalCoordinator

extension SystemTests {
/// `/v1/schedules` against a live coordinator with malformed and extreme requests: bounded
/// intervals, safe names, the task validated as `POST /v1/tasks` does, percent-decoded path
/// parameters, and one unreadable row that can no longer stop the others.
@Suite(.serialized)
struct ScheduleAPITests {
    static func task(_ steps: [StepSpec], timeout: Int = 60) -> TaskCreateRequest {
        TaskCreateRequest(name: "t", steps: steps, selector: "", timeoutSeconds: timeout)
    }

    static let okStep = StepSpec(kind: "command", params: .object(["script": .string("true")]))

    /// The error code the coordinator answers `POST /v1/schedules` with (the task signed by
    /// the admin's operator key, for this schedule), nil for 201.
    func add(_ fleet: TestFleet, _ name: String, cron: String = "@every 1h", task: TaskCreateRequest = task([okStep])) async -> ShoalError.Code? {
        do {
            let signed = try fleet.signer().sign(task, schedule: TaskStatement.ScheduleGrant(name: name, cron: cron))
            _ = try await fleet.admin().post("/v1/schedules", body: ScheduleCreateRequest(name: name, cron: cron, task: signed), as: ScheduleView.self)
            return nil
        } catch let error as ShoalError {
            return error.code
        } catch {
            return .internalError
        }
    }

    @Test func extremeIntervalsPathNamesAndInvalidTasksAreRefusedAtCreation() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            let admin = fleet.admin()
            // Intervals that once produced a next run in year 506713.
            #expect(await add(fleet, "huge", cron: "@every 9223372036854775807") == .invalidArgument)
            #expect(await add(fleet, "huge", cron: "@every 106751991167300d") == .invalidArgument)
            #expect(await add(fleet, "never", cron: "0 0 31 2 *") == .invalidArgument)
            // Names are one safe path segment.
            #expect(await add(fleet, "../etc") == .invalidArgument)
            #expect(await add(fleet, "a/b") == .invalidArgument)
            // The task is checked exactly as POST /v1/tasks checks it.
            #expect(await add(fleet, "empty", task: Self.task([])) == .invalidArgument)
            #expect(await add(fleet, "kind", task: Self.task([StepSpec(kind: "nonsense", params: .object([:]))])) == .stepUnknownKind)
            #expect(await add(fleet, "timeout", task: Self.task([Self.okStep], timeout: -1)) == .invalidArgument)
            let badStep = StepSpec(kind: "command", params: .object(["script": .string("true"), "timeoutSeconds": .number(-1)]))
            #expect(await add(fleet, "steptimeout", task: Self.task([badStep])) == .stepInvalid)
            // Nothing of that was stored; the listing answers; a good one still goes in.
            #expect(try await admin.get("/v1/schedules", as: ScheduleListResponse.self).schedules.isEmpty)
            #expect(await add(fleet, "nightly.v2", cron: "@every 366d") == nil)
            #expect(try await admin.get("/v1/schedules", as: ScheduleListResponse.self).schedules.map(\.name) == ["nightly.v2"])
            // Runs of a schedule that never existed are 404, of one that exists 200.
            let unknown = await #expect(throws: ShoalError.self) { try await admin.get("/v1/schedules/nothing/runs", as: ScheduleRunsResponse.self) }
            #expect(unknown?.code == .notFound)
            #expect(try await admin.get("/v1/schedules/nightly.v2/runs", as: ScheduleRunsResponse.self).runs.isEmpty)
        }
    }

    @Test func pathParametersAreDecodedAndABrokenRowIsListedSkippedAndRemovable() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            // Rows an older coordinator let in: a name with a slash, a date it cannot read back.
            let store = try SQLiteFleetStore(path: fleet.dataDir + "/fleet.db")
            let request = try Self.task([Self.okStep]).jsonText()
            try await store.insertSchedule(ScheduleRecord(name: "../etc", cron: "@every 1h", requestJSON: request, createdAt: Date(), createdBy: "old", nextRunAt: Date().addingTimeInterval(3600)), audit: AuditEntry(actor: "old", role: "admin", action: "schedule.add", result: "added"))
            try await store.pool.write { db in
                try db.execute(sql: """
                    INSERT INTO schedules (name, cron, requestJSON, createdAt, createdBy, nextRunAt)
                    VALUES ('huge', '@every 9223372036854775807', ?, '2026-01-01 00:00:00.000', 'old', '')
                    """, arguments: [request])
            }
            let admin = fleet.admin()
            #expect(await add(fleet, "fine", cron: "@every 1h") == nil)

            // The listing is 200 with the broken row beside the others.
            let list = try await admin.get("/v1/schedules", as: ScheduleListResponse.self)
            #expect(list.schedules.map(\.name) == ["../etc", "fine"])
            #expect(list.broken?.map(\.name) == ["huge"])
            let shown = try fleet.cli(["schedule", "list"])
            #expect(shown.status == 0, "\(shown.stderr)")
            #expect(shown.stdout.contains("BROKEN"))
            #expect(shown.stdout.contains("coordinator schedule remove huge"))
            // Reported once in the log, not every second.
            let coordinator = try #require(fleet.coordinator)
            _ = await eventually(timeout: 5) { coordinator.log.contains("schedule cannot be read") }
            try await Task.sleep(for: .seconds(2.5))
            #expect(coordinator.log.components(separatedBy: "schedule cannot be read").count == 2, "\(coordinator.log)")

            // Percent-encoded path parameters name what they encode, on every route.
            #expect(try await admin.get("/v1/schedules/%66ine/runs", as: ScheduleRunsResponse.self).runs.isEmpty)
            // Sent as is (a URL library would escape the stray '%' itself).
            let adminCredential = ["--cert", fleet.dataDir + "/admin.crt", "--key", fleet.dataDir + "/admin.key", "--cacert", fleet.dataDir + "/ca.crt"]
            let malformed = try curl(adminCredential + ["\(fleet.url)/v1/schedules/%zz/runs"])
            #expect(malformed.code == 400)
            #expect(malformed.body.contains("request.malformed"))
            let removed = try await admin.send(method: .DELETE, path: "/v1/schedules/..%2Fetc", body: nil, timeout: .seconds(10))
            #expect(String(decoding: removed, as: UTF8.self).contains("../etc"))
            // The CLI encodes what it is given, and a broken row can be removed.
            #expect(try fleet.cli(["schedule", "remove", "huge"]).status == 0)
            #expect(try fleet.cli(["schedule", "remove", "../nothing"]).stderr.contains("no schedule named '../nothing'"))
            let after = try await admin.get("/v1/schedules", as: ScheduleListResponse.self)
            #expect(after.schedules.map(\.name) == ["fine"])
            #expect(after.broken?.isEmpty == true)
        }
    }
}
}
