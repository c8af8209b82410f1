import Synchronization
import ShoalCore

/// Says, in memory, which tasks changed, so that waits on a rollout (`task run --wait`,
/// the dashboard's live page, the rollout engine) wake when it moves instead of polling.
///
/// The store signals it after each commit that changed a task (`SQLiteFleetStore.taskChanged`),
/// and bumps the task's `changeVersion` in that same transaction: the version, not this
/// feed, is what a waiter compares, so a signal missed across a coordinator restart or a
/// reconnect costs nothing. A waiter registers (`watch`) before it reads the version, so a
/// change between its read and its wait is kept by its `Wakeup`.
public final class TaskChangeFeed: Sendable {
    /// One registration: the task's changes signal `wakeup` until `cancel()`.
    public struct Watch: Sendable {
        public let wakeup: Wakeup
        let taskID: String
        let id: UInt64
        let feed: TaskChangeFeed

        public func cancel() { feed.remove(self) }
    }

    private struct State {
        var nextID: UInt64 = 0
        var watchers: [String: [UInt64: Wakeup]] = [:]
        /// Changed since the rollout engine last took them.
        var changedForEngine: Set<String> = []
        /// Something the engine cannot pin to one task (a node went down): look at all.
        var everythingForEngine = false
    }

    private let state = Mutex(State())
    /// The rollout engine's wake-up: signalled on every change.
    public let engineWakeup = Wakeup()

    public init() {}

    /// Called by the store once a transaction that changed these tasks has committed.
    public func changed(taskIDs: some Sequence<String>) {
        let woken = state.withLock { state -> [Wakeup] in
            var woken: [Wakeup] = []
            for taskID in taskIDs {
                state.changedForEngine.insert(taskID)
                if let watchers = state.watchers[taskID] { woken.append(contentsOf: watchers.values) }
            }
            return woken
        }
        for wakeup in woken { wakeup.signal() }
        engineWakeup.signal()
    }

    /// Nodes went down (or anything else that may concern every unfinished rollout).
    public func fleetChanged() {
        state.withLock { $0.everythingForEngine = true }
        engineWakeup.signal()
    }

    /// Starts hearing about `taskID`; call `cancel()` on the result when done.
    public func watch(taskID: String) -> Watch {
        let wakeup = Wakeup()
        let id = state.withLock { state in
            state.nextID &+= 1
            state.watchers[taskID, default: [:]][state.nextID] = wakeup
            return state.nextID
        }
        return Watch(wakeup: wakeup, taskID: taskID, id: id, feed: self)
    }

    /// What changed since the last call: task ids, and whether to look at everything.
    public func takeEngineWork() -> (taskIDs: Set<String>, everything: Bool) {
        state.withLock { state in
            defer {
                state.changedForEngine = []
                state.everythingForEngine = false
            }
            return (state.changedForEngine, state.everythingForEngine)
        }
    }

    /// Watches open now (for tests and metrics).
    public var watchCount: Int {
        state.withLock { $0.watchers.values.reduce(0) { $0 + $1.count } }
    }

    private func remove(_ watch: Watch) {
        state.withLock { state in
            state.watchers[watch.taskID]?[watch.id] = nil
            if state.watchers[watch.taskID]?.isEmpty == true { state.watchers[watch.taskID] = nil }
        }
    }
}
