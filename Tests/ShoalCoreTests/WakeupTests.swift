import Foundation
import ShoalCore
import Testing

@Suite("Wakeup")
struct WakeupTests {
    @Test("a signal wakes a parked waiter at once, long before its timeout")
    func signalWakesParkedWaiter() async throws {
        let wakeup = Wakeup()
        let clock = ContinuousClock()
        let start = clock.now
        async let woke = wakeup.wait(upTo: .seconds(30))
        try await Task.sleep(for: .milliseconds(50))
        wakeup.signal()
        #expect(try await woke)
        #expect(clock.now - start < .seconds(5))
    }

    @Test("a signal with nobody waiting is kept for the next wait, once")
    func signalIsRemembered() async throws {
        let wakeup = Wakeup()
        wakeup.signal()
        wakeup.signal()
        #expect(try await wakeup.wait(upTo: .seconds(30)))
        #expect(try await wakeup.wait(upTo: .milliseconds(20)) == false)
    }

    @Test("without a signal the wait ends at its timeout and says so")
    func timeoutReturnsFalse() async throws {
        let wakeup = Wakeup()
        let clock = ContinuousClock()
        let start = clock.now
        #expect(try await wakeup.wait(upTo: .milliseconds(100)) == false)
        let took = clock.now - start
        #expect(took >= .milliseconds(100) && took < .seconds(5))
    }

    @Test("cancelling the waiting task ends the wait with CancellationError at once")
    func cancellationThrows() async throws {
        let wakeup = Wakeup()
        let clock = ContinuousClock()
        let start = clock.now
        let task = Task { try await wakeup.wait(upTo: .seconds(60)) }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(clock.now - start < .seconds(5))
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
