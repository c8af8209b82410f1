import Foundation

/// Wakes long polls when work is queued for their node, instead of polling the database.
/// At graceful shutdown every waiter is released at once, so the server, which waits for
/// in-flight requests, stops promptly instead of holding each poll to its full wait.
public actor WorkNotifier {
    public enum Wake: Sendable { case work, timeout, shutdown }

    private var waiters: [String: [UUID: CheckedContinuation<Wake, Never>]] = [:]
    private var shuttingDown = false

    public init() {}

    /// Returns when work is queued for `nodeID`, after `timeout`, or at shutdown.
    public func wait(for nodeID: String, timeout: Duration) async -> Wake {
        guard !shuttingDown else { return .shutdown }
        let id = UUID()
        return await withCheckedContinuation { (continuation: CheckedContinuation<Wake, Never>) in
            waiters[nodeID, default: [:]][id] = continuation
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                await self?.release(nodeID: nodeID, id: id)
            }
        }
    }

    public func notify(nodeIDs: [String]) {
        for nodeID in nodeIDs {
            for continuation in (waiters.removeValue(forKey: nodeID) ?? [:]).values {
                continuation.resume(returning: .work)
            }
        }
    }

    public func shutdown() {
        shuttingDown = true
        for continuation in waiters.values.flatMap(\.values) { continuation.resume(returning: .shutdown) }
        waiters = [:]
    }

    private func release(nodeID: String, id: UUID) {
        waiters[nodeID]?.removeValue(forKey: id)?.resume(returning: .timeout)
    }
}
