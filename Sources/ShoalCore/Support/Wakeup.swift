import Synchronization

/// A level-triggered wake-up flag for service loops: `signal()` makes the current or next
/// `wait` return early. Cheaper and simpler than a stream when only "something changed" matters.
///
/// Waiting parks the task on a continuation; nothing polls. A signal with nobody waiting is
/// remembered (once) for the next `wait`, so a signal between two waits is never lost.
public final class Wakeup: Sendable {
    private struct State {
        var pending = false
        var nextID: UInt64 = 0
        /// Waits in progress, parked or not yet parked.
        var active: Set<UInt64> = []
        var waiters: [UInt64: CheckedContinuation<Bool, Never>] = [:]
        /// Waits that were ended (timeout, cancellation) before their continuation was parked.
        var endedEarly: [UInt64: Bool] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Wakes every current waiter, or the next `wait` if none is waiting.
    public func signal() {
        let woken = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            if state.waiters.isEmpty {
                state.pending = true
                return []
            }
            let woken = Array(state.waiters.values)
            state.waiters.removeAll()
            return woken
        }
        for waiter in woken { waiter.resume(returning: true) }
    }

    /// Sleeps up to `delay`, or less if signalled; throws only on task cancellation.
    /// Returns whether it was signalled.
    @discardableResult
    public func wait(upTo delay: Duration) async throws -> Bool {
        let id: UInt64? = state.withLock { state in
            if state.pending {
                state.pending = false
                return nil
            }
            state.nextID &+= 1
            state.active.insert(state.nextID)
            return state.nextID
        }
        guard let id else { return true }
        let timer = Task { [self] in
            guard (try? await Task.sleep(for: delay)) != nil else { return }
            end(id, signalled: false)
        }
        defer {
            timer.cancel()
            state.withLock { state in
                state.active.remove(id)
                state.endedEarly.removeValue(forKey: id)
            }
        }
        let signalled = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let early: Bool? = state.withLock { state in
                    if let value = state.endedEarly.removeValue(forKey: id) { return value }
                    if state.pending {
                        state.pending = false
                        return true
                    }
                    state.waiters[id] = continuation
                    return nil
                }
                if let early { continuation.resume(returning: early) }
            }
        } onCancel: {
            end(id, signalled: false)
        }
        try Task.checkCancellation()
        return signalled
    }

    /// Ends one wait (its timer fired or its task was cancelled), whether or not it is parked yet.
    private func end(_ id: UInt64, signalled: Bool) {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
            // Not parked: not parked yet (it finds this on arrival), or already woken (the
            // entry is dropped when its wait returns).
            if state.active.contains(id) { state.endedEarly[id] = signalled }
            return nil
        }
        waiter?.resume(returning: signalled)
    }
}
