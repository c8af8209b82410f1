import Foundation

/// Durations as operators type them: `90`, `30s`, `5m`, `1h`, `2d`, `1h30m`.
public enum DurationText {
    /// Parses into whole seconds; throws `request.invalid_argument` with the accepted forms.
    public static func seconds(_ text: String) throws -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let plain = Int(trimmed), plain >= 0 { return plain }
        var total = 0
        var number = ""
        for character in trimmed {
            if character.isNumber {
                number.append(character)
                continue
            }
            let unit: Int
            switch character {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            case "d": unit = 86400
            default: throw invalid(text)
            }
            guard let value = Int(number) else { throw invalid(text) }
            let (scaled, overflowA) = value.multipliedReportingOverflow(by: unit)
            let (sum, overflowB) = total.addingReportingOverflow(scaled)
            guard !overflowA, !overflowB else { throw invalid(text) }
            total = sum
            number = ""
        }
        guard number.isEmpty, !trimmed.isEmpty else { throw invalid(text) }
        return total
    }

    public static func format(seconds: Int) -> String {
        if seconds % 3600 == 0, seconds > 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0, seconds > 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    private static func invalid(_ text: String) -> ShoalError {
        ShoalError(.invalidArgument, "cannot read duration '\(text)': use a number of seconds or units s, m, h, d (for example 30s, 5m, 1h30m)")
    }
}
