import Foundation
import ShoalCore
import Testing

@Suite("Wire coding")
struct WireCodingTests {
    struct Stamped: Codable, Equatable {
        var at: Date
    }

    @Test("dates travel as RFC 3339 UTC with millisecond fractional seconds")
    func dateRoundTrip() throws {
        // .125 is exact in binary, so the text is exact too.
        let date = Date(timeIntervalSince1970: 1_700_000_000.125)
        let json = try #require(String(data: WireCoding.encode(Stamped(at: date)), encoding: .utf8))
        #expect(json == #"{"at":"2023-11-14T22:13:20.125Z"}"#)
        #expect(try WireCoding.decode(Stamped.self, from: Data(json.utf8)) == Stamped(at: date))
    }

    @Test("any date comes back within a millisecond, and a second trip changes nothing")
    func dateRoundTripPrecision() throws {
        let date = Date(timeIntervalSince1970: 1_700_000_000.987654)
        let once = try WireCoding.decode(Stamped.self, from: WireCoding.encode(Stamped(at: date)))
        #expect(abs(once.at.timeIntervalSince(date)) < 0.001)
        #expect(once.at != Date(timeIntervalSince1970: 1_700_000_000))
        let twice = try WireCoding.decode(Stamped.self, from: WireCoding.encode(once))
        #expect(twice == once)
    }

    @Test("a formatted timestamp rounds to the nearest millisecond rather than truncating")
    func roundsToMillisecond() {
        // 1_700_000_000.123 is stored as ...0.12299990654; truncation would print .122.
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1_700_000_000.123)) == "2023-11-14T22:13:20.123Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1_700_000_000.9996)) == "2023-11-14T22:13:21.000Z")
    }

    @Test("Timestamp.now and rounded values survive a JSON round trip exactly")
    func roundedSurvivesRoundTrip() throws {
        var dates = [Timestamp.now()]
        for i in 0..<500 { dates.append(Timestamp.rounded(Date(timeIntervalSince1970: 1_600_000_000 + Double(i) * 12_345.6789))) }
        var changed: [Date] = []
        for date in dates {
            let back = try WireCoding.decode(Stamped.self, from: WireCoding.encode(Stamped(at: date)))
            #expect(abs(back.at.timeIntervalSince(date)) < 0.000001)
            if back.at != date { changed.append(date) }
            // Rounding what was parsed recovers the exact value: the fix is for parse to do so.
            #expect(Timestamp.rounded(back.at) == date)
        }
        #expect(changed.isEmpty, "\(changed.count) of \(dates.count) dates changed, e.g. \(changed.first?.timeIntervalSince1970 ?? 0)")
    }

    @Test("timestamps without fractional seconds or with an offset are read too")
    func parsesOtherForms() throws {
        let plain = try #require(Timestamp.parse("2023-11-14T22:13:20Z"))
        #expect(plain == Date(timeIntervalSince1970: 1_700_000_000))
        let offset = try #require(Timestamp.parse("2023-11-14T23:13:20.500+01:00"))
        #expect(abs(offset.timeIntervalSince1970 - 1_700_000_000.5) < 0.0005)
        #expect(Timestamp.parse("yesterday") == nil)
    }

    @Test("output has sorted keys so signed payloads are reproducible")
    func sortedKeys() throws {
        struct Unordered: Codable { var zebra = 1; var apple = 2; var mango = "a/b" }
        let json = String(decoding: try WireCoding.encode(Unordered()), as: UTF8.self)
        #expect(json == #"{"apple":2,"mango":"a/b","zebra":1}"#)
    }

    @Test("a missing field is request.malformed naming the type and the field")
    func missingField() {
        let error = #expect(throws: ShoalError.self) {
            try WireCoding.decode(DSSEEnvelope.self, from: Data(#"{"payloadType":"t","signatures":[]}"#.utf8))
        }
        #expect(error?.code == .badRequest)
        #expect(error?.message.contains("DSSEEnvelope") == true)
        #expect(error?.message.contains("missing field 'payload'") == true)
    }

    @Test("a missing nested field names its path")
    func missingNestedField() {
        let error = #expect(throws: ShoalError.self) {
            try WireCoding.decode(DSSEEnvelope.self, from: Data(#"{"payload":"","payloadType":"t","signatures":[{"keyid":"k"}]}"#.utf8))
        }
        #expect(error?.code == .badRequest)
        #expect(error?.message.contains("missing field 'sig' at signatures.0") == true)
    }

    @Test("a bad timestamp, a wrong type and broken JSON are all request.malformed")
    func otherMalformed() {
        let date = #expect(throws: ShoalError.self) { try WireCoding.decode(Stamped.self, from: Data(#"{"at":"noon"}"#.utf8)) }
        #expect(date?.code == .badRequest)
        #expect(date?.message.contains("not an RFC 3339 timestamp: noon") == true)
        let type = #expect(throws: ShoalError.self) { try WireCoding.decode(Stamped.self, from: Data(#"{"at":5}"#.utf8)) }
        #expect(type?.code == .badRequest)
        #expect(type?.message.contains("wrong type") == true)
        let broken = #expect(throws: ShoalError.self) { try WireCoding.decode(Stamped.self, from: Data("{".utf8)) }
        #expect(broken?.code == .badRequest)
    }
}
