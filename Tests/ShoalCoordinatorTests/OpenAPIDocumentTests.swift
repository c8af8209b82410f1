import Foundation
import Hummingbird
import Logging
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// `docs/openapi.json` against the coordinator: the document compiled into the binary is the
/// repository's, and it names exactly the routes the real router has, with the method each
/// is registered for.
@Suite struct OpenAPIDocumentTests {
    static let repositoryFile = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/openapi.json").path

    static func document(_ text: String) throws -> [String: JSONValue] {
        guard case .object(let object) = try WireCoding.decode(JSONValue.self, from: Data(text.utf8)) else {
            throw ShoalError(.badRequest, "the OpenAPI document is not a JSON object")
        }
        return object
    }

    /// "METHOD /path" for every operation of a document.
    static func operations(_ document: [String: JSONValue]) -> Set<String> {
        guard case .object(let paths)? = document["paths"] else { return [] }
        var found: Set<String> = []
        for (path, item) in paths {
            guard case .object(let methods) = item else { continue }
            for method in methods.keys where ["get", "put", "post", "delete", "patch", "head", "options"].contains(method) {
                found.insert("\(method.uppercased()) \(path)")
            }
        }
        return found
    }

    @Test func theServedDocumentIsTheRepositoryFile() throws {
        let file = try String(contentsOfFile: Self.repositoryFile, encoding: .utf8)
        #expect(try Self.document(OpenAPIDocument.json) == Self.document(file), "docs/openapi.json changed: run scripts/openapi-embed.sh")
        #expect(try Self.document(file)["openapi"] == .string("3.1.0"))
    }

    @Test func theDocumentNamesExactlyTheRoutesTheRouterHas() async throws {
        let directory = NSTemporaryDirectory() + "shoal-openapi-" + RandomID.make(bytes: 6)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try FleetInitializer(
            dataDir: directory, advertiseURL: "https://127.0.0.1:1", listen: "127.0.0.1:1", extraNames: [], force: false, adminDir: directory + "/admin"
        ).run()
        let fleet = try await Fleet.load(dataDir: directory)
        let notifier = WorkNotifier()
        let engine = RolloutEngine(fleet: fleet, notifier: notifier, logger: Logger(label: "test"))
        let schedules = ScheduleRunner(fleet: fleet, engine: engine, logger: Logger(label: "test"))
        let router = try CoordinatorServer.makeRouter(fleet: fleet, notifier: notifier, engine: engine, schedules: schedules)
        let routed = Set(router.routes.map { "\($0.method.rawValue) \($0.path)" })
        let documented = Self.operations(try Self.document(OpenAPIDocument.json))
        #expect(routed.count > 30, "the router lists its routes: \(routed.sorted())")
        #expect(routed.subtracting(documented).isEmpty, "routes docs/openapi.json lacks: \(routed.subtracting(documented).sorted())")
        #expect(documented.subtracting(routed).isEmpty, "operations in docs/openapi.json no route serves: \(documented.subtracting(routed).sorted())")
    }

    /// Every operation says who may call it and documents its failures with the error body,
    /// so a client can rely on `{"error": {"code", "message"}}` for every non-2xx answer.
    @Test func everyOperationHasSecurityAndItsErrorsUseTheErrorBody() throws {
        let document = try Self.document(OpenAPIDocument.json)
        guard case .object(let paths)? = document["paths"] else { Issue.record("no paths"); return }
        for (path, item) in paths {
            guard case .object(let methods) = item else { continue }
            for (method, operation) in methods {
                guard case .object(let fields) = operation, case .object(let responses)? = fields["responses"] else {
                    Issue.record("\(method) \(path) has no responses"); continue
                }
                #expect(fields["security"] != nil, "\(method) \(path) does not say who may call it")
                for code in ["401", "403", "500", "503"] { #expect(responses[code] != nil, "\(method) \(path) lacks \(code)") }
                for (code, response) in responses where !code.hasPrefix("2") {
                    guard case .object(let reference) = response, case .string(let target)? = reference["$ref"] else {
                        Issue.record("\(method) \(path) \(code) is not a shared error response"); continue
                    }
                    #expect(target.hasPrefix("#/components/responses/"), "\(method) \(path) \(code)")
                }
            }
        }
    }
}
