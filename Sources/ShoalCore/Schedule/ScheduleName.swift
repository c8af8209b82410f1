/// Schedule names travel as one URL path segment (`/v1/schedules/{name}`) and show in logs
/// and tables: letters, digits, `-`, `_` and `.`, starting with a letter or digit — so no
/// `/`, no `..`, nothing that needs quoting.
public enum ScheduleName {
    static let characters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")

    public static func validate(_ name: String) throws {
        guard let first = name.first, first.isASCII, first.isLetter || first.isNumber,
              name.count <= 63, name.allSatisfy(characters.contains) else {
            throw ShoalError(
                .invalidArgument,
                "schedule name '\(name.prefix(80))' must be 1-63 characters of letters, digits, '-', '_' and '.', starting with a letter or digit"
            )
        }
    }
}
