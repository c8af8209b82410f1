import ShoalCore
import Testing

@Suite("Schedule names")
struct ScheduleNameTests {
    @Test("names that are one safe path segment pass", arguments: ["backup", "disk-report.v2", "a_1", "0nightly"])
    func good(name: String) throws {
        try ScheduleName.validate(name)
    }

    @Test("path-like, empty, long or odd names are request.invalid_argument", arguments: ["../etc", "..", ".hidden", "a/b", "", "has space", "tab\tname", "é", String(repeating: "x", count: 64), "-flag"])
    func bad(name: String) {
        let error = #expect(throws: ShoalError.self) { try ScheduleName.validate(name) }
        #expect(error?.code == .invalidArgument)
    }
}
