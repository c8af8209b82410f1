import Foundation
import ServiceLifecycle

/// Wakes long polls when work is queued for their node, instead of polling the database.
/// On graceful shutdown it releases every waiter at once so the server can stop promptly.
public actor WorkNotifier: Service {
    private var waiters: [String: [UUID: CheckedContinuation<Void, Never>]] = [:]
    private var shuttingDown = false

    public init() {}

    /// Returns when work is queued for `nodeID`, after `timeout`, or at shutdown.
    public func wait(for nodeID: String, timeout: Duration) async {
        guard !shuttingDown else { return }
        let id = UUID()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
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
                continuation.resume()
            }
        }
    }

    private func release(nodeID: String, id: UUID) {
        waiters[nodeID]?.removeValue(forKey: id)?.resume()
    }

    private func releaseAll() {
        shuttingDown = true
        for continuation in waiters.values.flatMap(\.values) { continuation.resume() }
        waiters = [:]
    }

    public nonisolated func run() async throws {
        try? await gracefulShutdown()
        await releaseAll()
    }
}
