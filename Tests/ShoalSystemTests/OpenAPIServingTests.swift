import Foundation
import ShoalCore
import Testing

/// `GET /v1/openapi.json` on a real coordinator process: open without a client certificate,
/// JSON, and the repository's document (`docs/openapi.json`), compiled into the binary.
extension SystemTests {
struct OpenAPIServingTests {
    @Test func theDocumentIsServedWithoutACertificate() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            let served = try curl(["--cacert", fleet.dataDir + "/ca.crt", "-D", fleet.root + "/headers", fleet.url + "/v1/openapi.json"])
            #expect(served.code == 200)
            #expect(try String(contentsOfFile: fleet.root + "/headers", encoding: .utf8).lowercased().contains("content-type: application/json"))
            let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("docs/openapi.json")
            let repository = try WireCoding.decode(JSONValue.self, from: try Data(contentsOf: file))
            #expect(try WireCoding.decode(JSONValue.self, from: Data(served.body.utf8)) == repository)
        }
    }
}
}

extension SystemTests.OpenAPIServingTests {
    /// Found by schemathesis: `?limit=x` was read as "no limit given" and answered 200 with
    /// the default. A query number that is not a whole number is now refused, on every route
    /// that takes one; an empty value still means "not given".
    @Test func aQueryNumberThatIsNotANumberIsRefused() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("poller", token: try fleet.token())
            let node = try #require(try await fleet.waitForReady(["poller"])["poller"])
            let admin = ["--cacert", fleet.dataDir + "/ca.crt", "--cert", fleet.dataDir + "/admin.crt", "--key", fleet.dataDir + "/admin.key"]
            for query in ["/v1/tasks?limit=1O", "/v1/trust?after=x", "/v1/tasks?limit=2.5"] {
                let answer = try curl(admin + [fleet.url + query])
                #expect(answer.code == 400, "\(query): \(answer.body)")
                #expect(answer.body.contains("request.invalid_argument"), "\(query): \(answer.body)")
            }
            for query in ["wait=soon&trust=0", "wait=0&trust=v1"] {
                let answer = try curl(fleet.nodeCurl("poller") + [fleet.url + "/v1/agent/\(node.id)/bundles?" + query])
                #expect(answer.code == 400, "\(query): \(answer.body)")
            }
            #expect(try curl(admin + [fleet.url + "/v1/tasks?limit="]).code == 200)
            #expect(try curl(admin + [fleet.url + "/v1/tasks?limit=5"]).code == 200)
            #expect(try curl(fleet.nodeCurl("poller") + [fleet.url + "/v1/agent/\(node.id)/bundles?wait=0&trust=0"]).code == 200)
        }
    }
}
