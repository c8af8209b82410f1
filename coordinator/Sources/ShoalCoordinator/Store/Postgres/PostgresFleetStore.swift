import Foundation
import Logging
import NIOSSL
import PostgresNIO
import ShoalCore
import Synchronization

/// The fleet's state on a PostgreSQL server, for several coordinator replicas serving one
/// fleet (`database: postgres://…`). Same contract as `SQLiteFleetStore`, which stays the
/// default: the conformance suites in Tests/ShoalCoordinatorTests/Conformance run on both.
///
/// Every write is one transaction, retried when PostgreSQL reports a serialization failure
/// or a deadlock: SERIALIZABLE for what operators do, so the store's invariants (a token's
/// use count, revocation, the last admin, trust versions) hold as under SQLite's single
/// writer whichever replica writes; READ COMMITTED with the rows it decides on locked for
/// the agents' hot path (`Isolation.rowLocks`). Reads run as autocommit statements, or in a
/// REPEATABLE READ snapshot where one answer needs several (`snapshot`).
public final class PostgresFleetStore: FleetStore {
    let pool: PostgresPool
    let logger: Logger
    let timer: (any StoreOperationTimer)?
    public let taskChanges: TaskChangeFeed
    /// Where the store is, its password hidden.
    public let location: String
    /// The migrations this store applied when it opened (none when the schema was current).
    public let migratedAtOpen: [String]
    /// How to open a connection of its own, outside the pool (the change listener's).
    let directConfiguration: PostgresConnection.Configuration
    /// Set by the change listener: while the database is unreachable, operations fail at once.
    let reachability = DatabaseReachability()
    /// The metric minute this replica last recorded for each node: a heartbeat in a minute
    /// already recorded skips the metric work (most heartbeats; the database still refuses a
    /// second point for a minute, so a node that moves between replicas is recorded once).
    let recordedMinutes = Mutex<[String: Date]>([:])

    /// How often a write is tried when PostgreSQL keeps aborting it as a serialization
    /// conflict; contention between replicas resolves in one or two retries in practice.
    static let maxAttempts = 20

    /// Connects, and brings the schema up to date (`PostgresMigrations`, under an advisory
    /// lock, so replicas starting together migrate once).
    public init(
        url: DatabaseURL, timer: (any StoreOperationTimer)? = nil, taskChanges: TaskChangeFeed = TaskChangeFeed(),
        logger: Logger = Logger(label: "shoal.store.postgres"), maxConnections: Int = 20
    ) async throws {
        self.location = url.description
        self.logger = logger
        self.timer = timer
        self.taskChanges = taskChanges
        let tls = try Self.tlsConfiguration(url)
        // One connection of its own first: an unreachable server or a refused password fails
        // here, at once and clearly, rather than in a pool that keeps retrying; and the
        // schema is brought up to date on it before any replica work starts.
        var single = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
            tls: try tls.map { .require(try NIOSSLContext(configuration: $0)) } ?? .disable
        )
        single.options.connectTimeout = .seconds(10)
        directConfiguration = single
        do {
            let connection = try await PostgresConnection.connect(configuration: single, id: 0, logger: logger)
            do {
                migratedAtOpen = try await PostgresMigrations.migrate(on: connection, logger: logger)
                try? await connection.close()
            } catch {
                try? await connection.close()
                throw error
            }
        } catch let error as ShoalError {
            throw error
        } catch {
            throw ShoalError(.storage, "cannot open the fleet database \(url): \(Self.describe(error)); check that the server is up and reachable from here and the user, password and database in 'database:' of coordinator.yaml")
        }
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
            tls: tls.map { .require($0) } ?? .disable
        )
        configuration.options.maximumConnections = maxConnections
        configuration.options.connectTimeout = .seconds(10)
        // The pool's own chatter (a lease asked for in the moment before `run` starts, each
        // reconnection attempt) stays out of the log: every failure that matters reaches a
        // caller as `server.storage`, and the caller logs it.
        var poolLogger = logger
        poolLogger.logLevel = .error
        self.pool = PostgresPool(configuration: configuration, logger: poolLogger)
    }

    deinit { pool.close() }

    /// Every migration the database has, in the order applied (`coordinator db status`).
    public func appliedMigrations() async throws -> [String] {
        try await PostgresMigrations.applied(self)
    }

    /// Closes every connection; the store is unusable afterwards.
    public func close() { pool.close() }

    /// The TLS `sslmode` asks for; nil: plain TCP.
    static func tlsConfiguration(_ url: DatabaseURL) throws -> TLSConfiguration? {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch url.tls {
        case .disable:
            return nil
        case .require:
            tls.certificateVerification = .none
        case .verifyFull:
            tls.certificateVerification = .fullVerification
            if let path = url.rootCertificatePath {
                do {
                    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(path))
                } catch {
                    throw ShoalError(.configInvalid, "database: sslrootcert \(path) cannot be read as PEM certificates: \(error)")
                }
            }
        }
        return tls
    }

    // MARK: Transactions

    /// How a write keeps its invariants against other replicas' writes.
    enum Isolation {
        /// SERIALIZABLE: whatever the transaction reads and writes behaves as if it ran alone;
        /// a conflict aborts it and it runs again. For everything an operator does.
        case serializable
        /// READ COMMITTED with the rows it changes locked (`SELECT … FOR UPDATE`, `UPDATE`):
        /// for the agents' hot path (queue, hand out, start, result, heartbeat), which all
        /// touch their task's counters and their node's row. Under SERIALIZABLE each of those
        /// aborted the others (a fan-out to six nodes took 6–8 attempts per queue); with row
        /// locks they wait their turn instead. Methods on it lock what they read before
        /// deciding, so the outcome is the same.
        case rowLocks
        /// One autocommit statement (no BEGIN, no COMMIT: one round trip) that locks and
        /// decides on its own: the hottest writes (a heartbeat).
        case statement
    }

    /// One write transaction, retried on serialization failures and deadlocks. `body` may run
    /// more than once: it must not act outside the transaction except through `afterCommit`,
    /// which runs once, after the attempt that committed.
    func write<T: Sendable>(
        _ function: String = #function, isolation: Isolation = .serializable, _ body: @Sendable (PostgresTransaction) async throws -> T
    ) async throws -> T {
        let begin: PostgresQuery? = switch isolation {
        case .serializable: "BEGIN ISOLATION LEVEL SERIALIZABLE"
        case .rowLocks: "BEGIN ISOLATION LEVEL READ COMMITTED"
        case .statement: nil
        }
        let started = ContinuousClock.now
        defer { report(function, since: started) }
        var attempt = 1
        while true {
            let hooks = PostgresTransaction.CommitHooks()
            do {
                let result = try await leased(hooks: hooks) { transaction in
                    guard let begin else { return try await body(transaction) }
                    return try await transaction.transaction(begin: begin, body)
                }
                for hook in hooks.hooks { hook() }
                return result
            } catch where Self.isRetryable(error) && attempt < Self.maxAttempts {
                attempt += 1
                // A short random pause so the conflicting transactions do not meet again.
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...(5 * attempt))))
            } catch {
                throw storageError(error, in: function)
            }
        }
    }

    /// Autocommit reads on one connection: each statement sees what was committed when it ran.
    func read<T: Sendable>(_ function: String = #function, _ body: @Sendable (PostgresTransaction) async throws -> T) async throws -> T {
        let started = ContinuousClock.now
        defer { report(function, since: started) }
        do {
            return try await leased(hooks: .init(), body)
        } catch {
            throw storageError(error, in: function)
        }
    }

    /// A pooled connection for `body`, refused at once while the database is unreachable.
    private func leased<T: Sendable>(
        hooks: PostgresTransaction.CommitHooks, _ body: @Sendable (PostgresTransaction) async throws -> T
    ) async throws -> T {
        try reachability.check(location: location)
        return try await pool.client.withConnection { connection in
            try await body(PostgresTransaction(connection: connection, logger: logger, commitHooks: hooks))
        }
    }

    /// A ShoalError as it is; anything from the database as `server.storage` naming the operation.
    private func storageError(_ error: any Error, in function: String) -> any Error {
        if error is ShoalError { return error }
        return ShoalError(.storage, "the fleet database \(location) failed in \(Self.operationName(function)): \(Self.describe(error))")
    }

    /// Several reads that must agree with each other: one REPEATABLE READ, READ ONLY snapshot.
    func snapshot<T: Sendable>(_ function: String = #function, _ body: @Sendable (PostgresTransaction) async throws -> T) async throws -> T {
        try await read(function) { try await $0.transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body) }
    }

    /// A connection outside the pool, for as long as the caller keeps it (the listener's).
    func connectDirectly() async throws -> PostgresConnection {
        try await PostgresConnection.connect(configuration: directConfiguration, id: 1, logger: logger)
    }

    /// True for a failure to reach the server at all (refused, reset, timed out, TLS), false
    /// when the server answered with an error.
    static func isUnreachable(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return !(error is CancellationError) }
        return error.serverInfo == nil
    }

    /// 40001 serialization_failure, 40P01 deadlock_detected: the transaction did nothing and
    /// may simply run again.
    static func isRetryable(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }

    /// The SQLSTATE of a server error (`23505` unique violation, …), nil for anything else.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// What PostgreSQL said, not PSQLError's generic description (which hides the server's
    /// message to keep query text out of logs).
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let message = error.serverInfo?[.message] {
            return "\(message) (SQLSTATE \(error.serverInfo?[.sqlState] ?? "?"))"
        }
        return "\(error.code)\(error.underlying.map { ": \($0)" } ?? "")"
    }

    private static func operationName(_ function: String) -> String {
        function.firstIndex(of: "(").map { String(function[..<$0]) } ?? function
    }

    private func report(_ function: String, since started: ContinuousClock.Instant) {
        timer?.record(operation: Self.operationName(function), duration: ContinuousClock.now - started)
    }
}
