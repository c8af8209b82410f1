import Logging
import PostgresNIO
import Synchronization

/// The store's connection pool, which can be replaced. When the database becomes unreachable
/// (`DatabaseReachability`), the pool is dropped — every request waiting in it for a
/// connection fails at once, where the pool itself would hold them for a minute of retries —
/// and a fresh one takes its place, which connects once the database is back and carries none
/// of the old one's backoff.
final class PostgresPool: Sendable {
    private struct Running: Sendable {
        let client: PostgresClient
        let task: Task<Void, Never>
    }

    private let configuration: PostgresClient.Configuration
    private let logger: Logger
    private let running: Mutex<Running>

    init(configuration: PostgresClient.Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.running = Mutex(Self.start(configuration, logger: logger))
    }

    private static func start(_ configuration: PostgresClient.Configuration, logger: Logger) -> Running {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        return Running(client: client, task: Task { await client.run() })
    }

    /// The pool to lease from now.
    var client: PostgresClient { running.withLock { $0.client } }

    /// Drops the current pool (failing what waits in it) for a fresh one.
    func replace() {
        let old = running.withLock { running in
            defer { running = Self.start(configuration, logger: logger) }
            return running
        }
        old.task.cancel()
    }

    func close() { running.withLock { $0.task }.cancel() }
}
