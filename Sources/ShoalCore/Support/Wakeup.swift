import Synchronization

/// A level-triggered wake-up flag for service loops: `signal()` makes the current or next
/// `wait` return early. Cheaper and simpler than a stream when only "something changed" matters.
public final class Wakeup: Sendable {
    private let flag = Mutex(false)

    public init() {}

    public func signal() { flag.withLock { $0 = true } }

    /// Sleeps up to `delay`, or less if signalled; throws only on task cancellation.
    /// Returns whether it was signalled.
    @discardableResult
    public func wait(upTo delay: Duration) async throws -> Bool {
        let clock = ContinuousClock()
        let end = clock.now + delay
        while clock.now < end {
            if flag.withLock({ let was = $0; $0 = false; return was }) { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}
