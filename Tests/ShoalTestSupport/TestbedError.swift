import Foundation

/// A testbed operation that failed. ShoalTestSupport has no dependencies, so this stands in
/// for ShoalError here; the message says what happened and what to do.
public struct TestbedError: Error, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
