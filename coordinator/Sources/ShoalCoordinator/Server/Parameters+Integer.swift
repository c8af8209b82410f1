import Hummingbird
import ShoalCore

extension Parameters {
    /// The whole number in query parameter `name`; nil when it is absent or empty. Anything
    /// else is `request.invalid_argument`: a typo such as `?limit=1O` is refused, not read as
    /// the default.
    func integer(_ name: String) throws -> Int? {
        guard let text = get(name), !text.isEmpty else { return nil }
        guard let value = Int(text) else {
            throw ShoalError(.invalidArgument, "\(name) must be a whole number, got '\(text.prefix(100))'")
        }
        return value
    }
}
