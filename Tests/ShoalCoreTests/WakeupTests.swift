import Foundation
import ShoalCore
import Testing

/// Whether a wait was woken or ran out is read from what it returns, not from the clock: a
/// loaded machine delays both. Waits that must be woken are an hour long, under a time limit.
@Suite("Wakeup", .timeLimit(.minutes(2)))
struct WakeupTests {
    @Test("a signal wakes a parked waiter, long before its timeout")
    func signalWakesParkedWaiter() async throws {
        let wakeup = Wakeup()
        async let woke = wakeup.wait(upTo: .seconds(3600))
        try await Task.sleep(for: .milliseconds(50))
        wakeup.signal()
        #expect(try await woke)
    }

    @Test("a signal with nobody waiting is kept for the next wait, once")
    func signalIsRemembered() async throws {
        let wakeup = Wakeup()
        wakeup.signal()
        wakeup.signal()
        #expect(try await wakeup.wait(upTo: .seconds(3600)))
        #expect(try await wakeup.wait(upTo: .milliseconds(20)) == false)
    }

    @Test("without a signal the wait ends at its timeout and says so")
    func timeoutReturnsFalse() async throws {
        let wakeup = Wakeup()
        let clock = ContinuousClock()
        let start = clock.now
        #expect(try await wakeup.wait(upTo: .milliseconds(100)) == false)
        #expect(clock.now - start >= .milliseconds(100))
    }

    @Test("cancelling the waiting task ends the wait with CancellationError, long before its timeout")
    func cancellationThrows() async throws {
        let wakeup = Wakeup()
        let task = Task { try await wakeup.wait(upTo: .seconds(3600)) }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test("many waits and signals racing never lose a waiter")
    func racesEnd() async throws {
        let wakeup = Wakeup()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<200 {
                group.addTask { _ = try await wakeup.wait(upTo: .milliseconds(Int64.random(in: 1...30))) }
                group.addTask { wakeup.signal() }
            }
            try await group.waitForAll()
        }
    }
}
