import Foundation

/// When a recurring task runs: a five-field cron expression (`minute hour day-of-month
/// month day-of-week`, in UTC) with `*`, lists, ranges and steps, or `@every 30s`,
/// `@hourly`, `@daily`, `@weekly`.
///
/// As in Vixie cron, when both day-of-month and day-of-week are restricted, a day matching
/// either one matches.
public struct CronSchedule: Sendable, Equatable, CustomStringConvertible {
    enum Kind: Equatable {
        case fields(minutes: Set<Int>, hours: Set<Int>, days: Set<Int>, months: Set<Int>, weekdays: Set<Int>, dayRestricted: Bool, weekdayRestricted: Bool)
        case every(seconds: Int)
    }

    let kind: Kind
    public let description: String

    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        description = trimmed
        switch trimmed {
        case "@hourly": kind = try Self.parseFields("0 * * * *")
        case "@daily", "@midnight": kind = try Self.parseFields("0 0 * * *")
        case "@weekly": kind = try Self.parseFields("0 0 * * 0")
        default:
            if trimmed.hasPrefix("@every ") {
                let seconds = try DurationText.seconds(String(trimmed.dropFirst(7)))
                guard seconds >= 1 else { throw Self.invalid(text, "@every needs at least 1s") }
                guard seconds <= Self.maxEverySeconds else { throw Self.invalid(text, "@every can be at most 366d") }
                kind = .every(seconds: seconds)
            } else {
                kind = try Self.parseFields(trimmed)
            }
        }
    }

    /// The longest `@every` interval: a year, leap day included.
    public static let maxEverySeconds = 366 * 86400
    /// How far ahead a next run may be. The rarest valid date, 29 February, comes round within
    /// 8 years (2096 to 2104); anything further never comes due.
    public static let horizon: TimeInterval = 9 * 366 * 86400

    /// The next run after `date`, refused (`request.invalid_argument`) when it never comes or
    /// lies beyond `horizon` — such a date would be stored and then stop every schedule.
    public func nextRun(after date: Date) throws -> Date {
        let next = next(after: date)
        guard next.timeIntervalSince(date) <= Self.horizon else {
            throw Self.invalid(description, "it never comes due (no date within \(Int(Self.horizon / (366 * 86400))) years matches)")
        }
        return next
    }

    /// The first run time strictly after `date`.
    public func next(after date: Date) -> Date {
        switch kind {
        case .every(let seconds):
            let now = date.timeIntervalSince1970
            return Date(timeIntervalSince1970: (floor(now / Double(seconds)) + 1) * Double(seconds))
        case let .fields(minutes, hours, days, months, weekdays, dayRestricted, weekdayRestricted):
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
            // Start at the next whole minute and walk forward; at most ~4 years of minutes
            // would be needed for Feb 29, so skip whole days and hours that cannot match.
            var candidate = Date(timeIntervalSince1970: (floor(date.timeIntervalSince1970 / 60) + 1) * 60)
            for _ in 0..<600_000 where candidate.timeIntervalSince(date) <= Self.horizon {
                let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: candidate)
                let month = parts.month ?? 1, day = parts.day ?? 1, hour = parts.hour ?? 0, minute = parts.minute ?? 0
                let weekday = (parts.weekday ?? 1) - 1
                let dayMatches: Bool
                if dayRestricted && weekdayRestricted {
                    dayMatches = days.contains(day) || weekdays.contains(weekday)
                } else {
                    dayMatches = days.contains(day) && weekdays.contains(weekday)
                }
                guard months.contains(month), dayMatches else {
                    candidate = calendar.startOfDay(for: candidate).addingTimeInterval(86400)
                    continue
                }
                guard hours.contains(hour) else {
                    candidate = candidate.addingTimeInterval(Double(60 - minute) * 60)
                    continue
                }
                if minutes.contains(minute) { return candidate }
                candidate = candidate.addingTimeInterval(60)
            }
            return .distantFuture
        }
    }

    static func parseFields(_ text: String) throws -> Kind {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count == 5 else { throw invalid(text, "expected 5 fields (minute hour day-of-month month day-of-week), got \(fields.count)") }
        let minutes = try parseField(fields[0], 0...59, name: "minute", text: text)
        let hours = try parseField(fields[1], 0...23, name: "hour", text: text)
        let days = try parseField(fields[2], 1...31, name: "day-of-month", text: text)
        let months = try parseField(fields[3], 1...12, name: "month", text: text)
        var weekdays = try parseField(fields[4], 0...7, name: "day-of-week", text: text)
        if weekdays.remove(7) != nil { weekdays.insert(0) } // 7 is Sunday too
        return .fields(
            minutes: minutes, hours: hours, days: days, months: months, weekdays: weekdays,
            dayRestricted: fields[2] != "*", weekdayRestricted: fields[4] != "*"
        )
    }

    static func parseField(_ field: String, _ range: ClosedRange<Int>, name: String, text: String) throws -> Set<Int> {
        var values = Set<Int>()
        for part in field.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard pieces.count <= 2 else { throw invalid(text, "\(name) '\(part)' has more than one '/'") }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0 else { throw invalid(text, "\(name) step '\(pieces[1])' must be a positive number") }
                step = parsed
            }
            let bounds: ClosedRange<Int>
            if pieces[0] == "*" {
                bounds = range
            } else if let dash = pieces[0].firstIndex(of: "-") {
                guard let low = Int(pieces[0][..<dash]), let high = Int(pieces[0][pieces[0].index(after: dash)...]), low <= high,
                      range.contains(low), range.contains(high) else {
                    throw invalid(text, "\(name) range '\(pieces[0])' must be within \(range.lowerBound)-\(range.upperBound)")
                }
                bounds = low...high
            } else {
                guard let value = Int(pieces[0]), range.contains(value) else {
                    throw invalid(text, "\(name) '\(pieces[0])' must be a number within \(range.lowerBound)-\(range.upperBound)")
                }
                bounds = pieces.count == 2 ? value...range.upperBound : value...value
            }
            values.formUnion(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
        }
        return values
    }

    static func invalid(_ text: String, _ why: String) -> ShoalError {
        ShoalError(.invalidArgument, "schedule '\(text)': \(why)")
    }
}
