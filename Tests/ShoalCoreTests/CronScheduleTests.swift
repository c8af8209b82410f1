import Foundation
import ShoalCore
import Testing

@Suite("Cron schedules")
struct CronScheduleTests {
    static func utc(_ text: String) -> Date {
        Timestamp.parse(text)!
    }

    @Test("steps, lists and ranges find the next minute", arguments: [
        ("*/15 * * * *", "2026-11-23T10:07:30.000Z", "2026-11-23T10:15:00.000Z"),
        ("*/15 * * * *", "2026-11-23T10:15:00.000Z", "2026-11-23T10:30:00.000Z"),
        ("0 3 * * *", "2026-11-23T10:07:00.000Z", "2026-11-24T03:00:00.000Z"),
        ("30 8-10/2 * * *", "2026-11-23T09:00:00.000Z", "2026-11-23T10:30:00.000Z"),
        ("0 0 1 1 *", "2026-11-23T10:07:00.000Z", "2027-01-01T00:00:00.000Z"),
        ("5,10 * * * *", "2026-11-23T10:07:00.000Z", "2026-11-23T10:10:00.000Z"),
        ("@hourly", "2026-11-23T10:07:00.000Z", "2026-11-23T11:00:00.000Z"),
        ("@daily", "2026-11-23T10:07:00.000Z", "2026-11-24T00:00:00.000Z"),
    ])
    func next(expression: String, after: String, expected: String) throws {
        let schedule = try CronSchedule(parsing: expression)
        #expect(schedule.next(after: Self.utc(after)) == Self.utc(expected))
    }

    @Test("day-of-week: 0 and 7 are Sunday; 2026-11-23 is a Monday")
    func weekdays() throws {
        #expect(try CronSchedule(parsing: "0 9 * * 1").next(after: Self.utc("2026-11-23T10:00:00.000Z")) == Self.utc("2026-11-30T09:00:00.000Z"))
        #expect(try CronSchedule(parsing: "0 9 * * 7").next(after: Self.utc("2026-11-23T10:00:00.000Z")) == Self.utc("2026-11-29T09:00:00.000Z"))
        #expect(try CronSchedule(parsing: "0 9 * * 0").next(after: Self.utc("2026-11-23T10:00:00.000Z")) == Self.utc("2026-11-29T09:00:00.000Z"))
    }

    @Test("day-of-month and day-of-week both restricted: either matches (Vixie cron)")
    func domOrDow() throws {
        // The 1st of the month or any Friday: from Monday 2026-11-23, Friday 11-27 comes first.
        let schedule = try CronSchedule(parsing: "0 0 1 * 5")
        #expect(schedule.next(after: Self.utc("2026-11-23T10:00:00.000Z")) == Self.utc("2026-11-27T00:00:00.000Z"))
        #expect(schedule.next(after: Self.utc("2026-11-28T10:00:00.000Z")) == Self.utc("2026-12-01T00:00:00.000Z"))
    }

    @Test("@every runs on whole multiples of its period")
    func every() throws {
        let schedule = try CronSchedule(parsing: "@every 30s")
        #expect(schedule.next(after: Self.utc("2026-11-23T10:00:10.000Z")) == Self.utc("2026-11-23T10:00:30.000Z"))
        #expect(schedule.next(after: Self.utc("2026-11-23T10:00:30.000Z")) == Self.utc("2026-11-23T10:01:00.000Z"))
    }

    @Test("bad expressions are request.invalid_argument naming the problem", arguments: [
        ("* * *", "5 fields"), ("61 * * * *", "minute"), ("*/0 * * * *", "step"), ("* 24 * * *", "hour"),
        ("* * 0 * *", "day-of-month"), ("* * * 13 *", "month"), ("5-1 * * * *", "range"), ("@every 0s", "at least"), ("@every soon", "duration"),
    ])
    func invalid(expression: String, mentions: String) {
        #expect {
            try CronSchedule(parsing: expression)
        } throws: { error in
            guard let error = error as? ShoalError else { return false }
            return error.code == .invalidArgument && error.message.contains(mentions)
        }
    }

    @Test("@every is bounded at 366 days: the values that once stopped every schedule are refused", arguments: [
        "@every 9223372036854775807", "@every 106751991167300d", "@every 367d", "@every 106751991167301d",
    ])
    func everyBounded(expression: String) {
        let error = #expect(throws: ShoalError.self) { try CronSchedule(parsing: expression) }
        #expect(error?.code == .invalidArgument)
    }

    @Test("@every 366d is the longest interval and its next run is within the horizon")
    func everyYear() throws {
        let now = Self.utc("2026-11-23T10:00:00.000Z")
        let next = try CronSchedule(parsing: "@every 366d").nextRun(after: now)
        #expect(next > now && next.timeIntervalSince(now) <= 366 * 86400)
    }

    @Test("a date that never comes is refused; 29 February comes round")
    func neverDue() throws {
        let now = Self.utc("2026-11-23T10:00:00.000Z")
        let error = #expect(throws: ShoalError.self) { try CronSchedule(parsing: "0 0 31 2 *").nextRun(after: now) }
        #expect(error?.message.contains("never comes due") == true)
        #expect(try CronSchedule(parsing: "0 0 29 2 *").nextRun(after: now) == Self.utc("2028-02-29T00:00:00.000Z"))
    }
}
