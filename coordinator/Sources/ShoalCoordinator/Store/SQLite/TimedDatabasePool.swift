import GRDB

/// The store's `DatabasePool`, with each `read` and `write` timed and reported under the
/// name of the store method that called it (`#function` up to its parameter list). Cheap on
/// purpose: two clock readings and one histogram update per transaction; the time includes
/// waiting for SQLite's writer, which is what a route waits for too.
///
/// Writes go through a `GroupCommitter`: writes that arrive together share one transaction.
struct TimedDatabasePool: Sendable {
    let database: DatabasePool
    let timer: (any StoreOperationTimer)?
    let committer: GroupCommitter

    init(database: DatabasePool, timer: (any StoreOperationTimer)?) {
        self.database = database
        self.timer = timer
        self.committer = GroupCommitter(database: database)
    }

    func read<T: Sendable>(_ function: String = #function, _ value: @Sendable (Database) throws -> T) async throws -> T {
        let started = ContinuousClock.now
        defer { report(function, since: started) }
        return try await database.read(value)
    }

    func write<T: Sendable>(_ function: String = #function, _ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let started = ContinuousClock.now
        defer { report(function, since: started) }
        return try await committer.write(updates)
    }

    /// For `coordinator init`, which writes before any server (or metrics) exists.
    func write<T>(_ function: String = #function, _ updates: (Database) throws -> T) throws -> T {
        let started = ContinuousClock.now
        defer { report(function, since: started) }
        return try database.write(updates)
    }

    private func report(_ function: String, since started: ContinuousClock.Instant) {
        guard let timer else { return }
        let name = function.firstIndex(of: "(").map { String(function[..<$0]) } ?? function
        timer.record(operation: name, duration: ContinuousClock.now - started)
    }
}
