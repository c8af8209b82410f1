import ShoalCore
import Testing

@Suite("Duration text")
struct DurationTextTests {
    @Test("accepted forms", arguments: [
        ("90", 90), ("0", 0), ("30s", 30), ("5m", 300), ("1h", 3600), ("1h30m", 5400),
        ("2d", 172_800), ("1d2h3m4s", 93_784), (" 45s ", 45),
    ])
    func parses(text: String, seconds: Int) throws {
        #expect(try DurationText.seconds(text) == seconds)
    }

    @Test("refused forms are request.invalid_argument and quote the input", arguments: [
        "abc", "5x", "", "m", "5m3", "-5", "1.5h", "s30", "5 m",
    ])
    func refuses(text: String) {
        let error = #expect(throws: ShoalError.self) { try DurationText.seconds(text) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("'\(text)'") == true)
    }

    @Test("format picks the largest whole unit", arguments: [
        (7200, "2h"), (300, "5m"), (90, "90s"), (0, "0s"), (5400, "90m"),
    ])
    func format(seconds: Int, text: String) throws {
        #expect(DurationText.format(seconds: seconds) == text)
        #expect(try DurationText.seconds(text) == seconds)
    }

    @Test("a duration too large for Int is refused instead of trapping")
    func overflow() async {
        await #expect(processExitsWith: .success) {
            _ = try? DurationText.seconds("9999999999999999d")
        }
        #expect(throws: ShoalError.self) { try DurationText.seconds("9999999999999999d") }
        #expect(throws: ShoalError.self) { try DurationText.seconds("99999999999999999999") }
    }
}
