import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import ShoalCore

/// Carries wake-ups between replicas on one PostgreSQL database: `LISTEN`s on the channels
/// the store `NOTIFY`s in its transactions (`PostgresChannel`) and hands each notification to
/// this replica's in-memory waiters — a task change to `TaskChangeFeed` (`task run --wait`,
/// the dashboard, the rollout engine), queued work to `WorkNotifier` (the node's long poll,
/// whichever replica holds it), nodes gone down to the rollout engine.
///
/// A notification is only "look again": the state is in the database. While the listening
/// connection is down notifications are lost, so after every (re)connect everything looks
/// again once: the engine re-reads every rollout, and every open long poll re-reads its
/// node's queue. Task watchers compare versions on their own deadlines (at most a minute).
public struct PostgresChangeListener: Service {
    let store: PostgresFleetStore
    let notifier: WorkNotifier
    let logger: Logger
    /// Signalled each time the listener is (again) listening on every channel (tests wait on it).
    public let listening: Wakeup

    public init(store: PostgresFleetStore, notifier: WorkNotifier, logger: Logger, listening: Wakeup = Wakeup()) {
        self.store = store
        self.notifier = notifier
        self.logger = logger
        self.listening = listening
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { [self] in
            var failures = 0
            while !Task.isCancelled {
                do {
                    try await listenUntilFailure(onListening: { failures = 0 })
                } catch where !Task.isCancelled {
                    failures += 1
                    logger.error("lost the database's change notifications; reconnecting", metadata: [
                        "error": "\(PostgresFleetStore.describe(error))", "database": "\(store.location)",
                    ])
                }
                // 0.2 s, doubling to 5 s while the database stays unreachable.
                try await Task.sleep(for: .milliseconds(min(5000, 200 << min(failures, 5))))
            }
        }
    }

    /// On a connection of its own, not the pool's: connecting it is also this replica's check
    /// that the database is reachable (`DatabaseReachability`), which the pool would not say
    /// for a minute.
    private func listenUntilFailure(onListening: () -> Void) async throws {
        let connection: PostgresConnection
        do {
            connection = try await store.connectDirectly()
        } catch {
            if PostgresFleetStore.isUnreachable(error), store.reachability.lost(PostgresFleetStore.describe(error)) {
                store.pool.replace()
                logger.error("cannot reach the fleet database: answering every request with server.storage (503) until it is back", metadata: [
                    "error": "\(PostgresFleetStore.describe(error))", "database": "\(store.location)",
                ])
            }
            throw error
        }
        if store.reachability.restored() {
            logger.notice("reached the fleet database again", metadata: ["database": "\(store.location)"])
        }
        do {
            try await listen(on: connection, onListening: onListening)
        } catch {
            try? await connection.close()
            throw error
        }
    }

    private func listen(on connection: PostgresConnection, onListening: () -> Void) async throws {
        do {
            let tasks = try await connection.listen(PostgresChannel.tasks)
            let work = try await connection.listen(PostgresChannel.work)
            let fleet = try await connection.listen(PostgresChannel.fleet)
            onListening()
            // Whatever was notified while nobody listened: look again at everything.
            store.taskChanges.fleetChanged()
            await notifier.wakeAll()
            listening.signal()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await notification in tasks { store.taskChanges.changed(taskIDs: [notification.payload]) }
                }
                group.addTask {
                    for try await notification in work { await notifier.notify(nodeIDs: [notification.payload]) }
                }
                group.addTask {
                    for try await _ in fleet { store.taskChanges.fleetChanged() }
                }
                // A sequence that ends means the connection closed: start over.
                try await group.next()
                group.cancelAll()
                throw ShoalError(.storage, "the notification connection closed")
            }
        }
    }
}
