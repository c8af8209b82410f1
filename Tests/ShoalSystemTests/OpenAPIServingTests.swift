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
