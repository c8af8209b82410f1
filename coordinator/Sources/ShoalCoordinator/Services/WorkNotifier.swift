import Foundation

/// Wakes long polls when work is queued for their node, instead of polling the database.
///
/// One poll per node: a poll `claim`s its node and gets a ticket; a newer claim replaces it
/// (the older poll wakes with `.replaced` and answers empty), so a node cannot hold many
/// requests open. Work queued while the holder is between its database read and its wait
/// is remembered, so that wake-up is not lost. At graceful shutdown every waiter is
/// released at once, so the server, which waits for in-flight requests, stops promptly.
public actor WorkNotifier {
    public enum Wake: Sendable { case work, timeout, shutdown, replaced }

    private struct Waiter {
        var ticket: UInt64
        var continuation: CheckedContinuation<Wake, Never>
    }

    private var holders: [String: UInt64] = [:]
    private var waiters: [String: Waiter] = [:]
    private var workPending: Set<String> = []
    private var nextTicket: UInt64 = 0
    private var shuttingDown = false

    public init() {}

    /// Makes this poll the node's one poll; the previous one, if waiting, is released.
    public func claim(nodeID: String) -> UInt64 {
        nextTicket += 1
        holders[nodeID] = nextTicket
        waiters.removeValue(forKey: nodeID)?.continuation.resume(returning: .replaced)
        return nextTicket
    }

    /// The poll with `ticket` ended.
    public func release(nodeID: String, ticket: UInt64) {
        guard holders[nodeID] == ticket else { return }
        holders[nodeID] = nil
        workPending.remove(nodeID)
        if waiters[nodeID]?.ticket == ticket { waiters.removeValue(forKey: nodeID)?.continuation.resume(returning: .timeout) }
    }

    /// Returns when work is queued for `nodeID`, after `timeout`, when a newer poll replaces
    /// this one, or at shutdown.
    public func wait(for nodeID: String, ticket: UInt64, timeout: Duration) async -> Wake {
        guard !shuttingDown else { return .shutdown }
        guard holders[nodeID] == ticket else { return .replaced }
        if workPending.remove(nodeID) != nil { return .work }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Wake, Never>) in
            waiters[nodeID] = Waiter(ticket: ticket, continuation: continuation)
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                await self?.timeOut(nodeID: nodeID, ticket: ticket)
            }
        }
    }

    public func notify(nodeIDs: [String]) {
        for nodeID in nodeIDs {
            if let waiter = waiters.removeValue(forKey: nodeID) {
                waiter.continuation.resume(returning: .work)
            } else if holders[nodeID] != nil {
                workPending.insert(nodeID)
            }
        }
    }

    /// Every open poll looks at its queue again (a replica's notifications were lost while
    /// its database connection was down; `PostgresChangeListener`).
    public func wakeAll() {
        notify(nodeIDs: Array(holders.keys))
    }

    public func shutdown() {
        shuttingDown = true
        for waiter in waiters.values { waiter.continuation.resume(returning: .shutdown) }
        waiters = [:]
    }

    /// Long polls open now (one per node at most).
    public var openPolls: Int { holders.count }

    private func timeOut(nodeID: String, ticket: UInt64) {
        guard waiters[nodeID]?.ticket == ticket else { return }
        waiters.removeValue(forKey: nodeID)?.continuation.resume(returning: .timeout)
    }
}
