import Foundation
import ShoalClient
import ShoalCoordinator
import ShoalCore
import Testing

extension SystemTests {
/// `POST /v1/tasks` refuses step parameters out of bounds before anything is signed, naming
/// the step and the field; nothing is created.
@Suite(.serialized)
struct StepValidationTests {
    @Test func outOfRangeTimeoutsAndANumericScriptAreRefusedNamingTheField() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("sierra", token: try fleet.token())
            _ = try await fleet.waitForReady(["sierra"])
            let admin = fleet.admin()
            let cases: [([String: JSONValue], String)] = [
                (["script": .string("true"), "timeoutSeconds": .number(-1)], "'timeoutSeconds'"),
                (["script": .string("true"), "timeoutSeconds": .number(0)], "'timeoutSeconds'"),
                (["script": .string("true"), "timeoutSeconds": .number(2_147_483_648)], "'timeoutSeconds'"),
                (["script": .number(42)], "'script' must be text"),
            ]
            for (params, field) in cases {
                let step = StepSpec(kind: "command", name: "probe", params: .object(params))
                let request = TaskCreateRequest(name: "bad", steps: [step], selector: "", timeoutSeconds: 60)
                let error = await #expect(throws: ShoalError.self) { try await admin.post("/v1/tasks", body: try fleet.signer().sign(request), as: TaskView.self) }
                #expect(error?.code == .stepInvalid, "\(params)")
                #expect(error?.message.contains(field) == true, "\(error?.message ?? "")")
                #expect(error?.message.contains("step 'probe' (command)") == true)
            }
            // A handler is held to the same rules.
            let handler = StepSpec(kind: "command", name: "h", params: .object(["script": .string("true"), "timeoutSeconds": .number(0)]))
            var request = TaskCreateRequest(name: "bad", steps: [ScheduleAPITests.okStep], selector: "", timeoutSeconds: 60)
            request.handlers = [handler]
            let handlerError = await #expect(throws: ShoalError.self) { try await admin.post("/v1/tasks", body: try fleet.signer().sign(request), as: TaskView.self) }
            #expect(handlerError?.code == .stepInvalid)
            #expect(try await admin.get("/v1/tasks", as: TaskListResponse.self).tasks.isEmpty)
            // Within bounds, as text from a template or YAML, it runs.
            let good = StepSpec(kind: "command", params: .object(["script": .string("echo ok"), "timeoutSeconds": .string("30")]))
            let created = try await admin.post("/v1/tasks", body: try fleet.signer().sign(TaskCreateRequest(name: "ok", steps: [good], selector: "", timeoutSeconds: 60)), as: TaskView.self)
            #expect(try await fleet.waitForTask(created.id).status == .succeeded)
        }
    }
}
}
