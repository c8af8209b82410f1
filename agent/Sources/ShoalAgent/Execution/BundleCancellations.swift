import Synchronization

/// Connects the heartbeat (which hears of cancellations) to the bundle that is running
/// (which must stop): cancelling its Swift task makes the running step tear down its whole
/// process group.
public final class BundleCancellations: Sendable {
    private struct State {
        var running: [String: Task<BundleExecutor.StepsOutcome, Never>] = [:]
        var requested: Set<String> = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Cancels these deliveries if running now, or as soon as they start.
    public func request(_ deliveryIDs: [String]) {
        let tasks = state.withLock { state -> [Task<BundleExecutor.StepsOutcome, Never>] in
            state.requested.formUnion(deliveryIDs)
            return deliveryIDs.compactMap { state.running[$0] }
        }
        for task in tasks { task.cancel() }
    }

    func register(_ deliveryID: String, _ task: Task<BundleExecutor.StepsOutcome, Never>) {
        let cancelNow = state.withLock { state -> Bool in
            state.running[deliveryID] = task
            return state.requested.contains(deliveryID)
        }
        if cancelNow { task.cancel() }
    }

    /// Whether the operator asked to stop this delivery (as opposed to the agent stopping).
    func wasRequested(_ deliveryID: String) -> Bool {
        state.withLock { $0.requested.contains(deliveryID) }
    }

    func finish(_ deliveryID: String) {
        state.withLock { state in
            state.running.removeValue(forKey: deliveryID)
            state.requested.remove(deliveryID)
        }
    }
}
