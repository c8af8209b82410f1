import Foundation
import ShoalCore
import Testing

@Suite("JSON for scripts")
struct ScriptJSONTests {
    struct Host: Codable {
        var host: String
        var nodeID: String?
        var seconds: Double
        var checks: [Int]
        var at: Date?
    }

    struct Report: Codable {
        var results: [Host]
        var note: String?
    }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("every declared key is present, null when absent, at every depth")
    func nullsKept() throws {
        let report = Report(results: [Host(host: "a", nodeID: nil, seconds: 1.5, checks: [], at: nil),
                                      Host(host: "b", nodeID: "n-1", seconds: 2, checks: [3], at: Timestamp.parse("2026-11-24T00:59:00.041Z"))])
        let parsed = try Self.object(try ScriptJSON.text(report))
        #expect(parsed.keys.sorted() == ["note", "results"])
        #expect(parsed["note"] is NSNull)
        let results = try #require(parsed["results"] as? [[String: Any]])
        #expect(results[0].keys.sorted() == ["at", "checks", "host", "nodeID", "seconds"])
        #expect(results[0]["nodeID"] is NSNull)
        #expect(results[1]["nodeID"] as? String == "n-1")
        #expect(results[1]["at"] as? String == "2026-11-24T00:59:00.041Z")
        // The wire encoding still leaves them out.
        let wire = try Self.object(String(decoding: try WireCoding.encode(report), as: UTF8.self))
        #expect(wire["note"] == nil)
    }

    @Test("enums, codes and nested JSON values encode as on the wire")
    func sameValuesAsTheWire() throws {
        struct Mixed: Codable {
            var status: NodeTaskStatus
            var code: ShoalError.Code?
            var params: JSONValue
            var sequence: Int64
        }
        let value = Mixed(status: .retryWait, code: .stepInvalid, params: .object(["a": .array([.number(1), .null, .string("x")])]), sequence: 9_007_199_254_740_993)
        let text = try ScriptJSON.text(value)
        #expect(text.contains("\"retry_wait\""))
        #expect(text.contains("\"step.invalid\""))
        #expect(text.contains("9007199254740993"))
        let parsed = try Self.object(text)
        let params = try #require(parsed["params"] as? [String: Any])
        #expect((params["a"] as? [Any])?.count == 3)
    }
}
