import GRDB
import Synchronization

/// Group commit for the store's writes. SQLite has one writer and each commit syncs the WAL
/// to disk (milliseconds on real disks), so a fleet's writes one transaction each top out at a
/// few hundred a second. Here, writes that arrive while a transaction is in flight wait for the
/// next one and run in it together — each in its own savepoint, so each is still atomic and a
/// failing one undoes only itself — and all of them return after that one commit. A write on a
/// quiet coordinator runs at once: there is no timer and no added delay.
///
/// Every caller sees what it would see with one transaction each: the writes run in arrival
/// order, each sees the ones before it, and none returns before its changes are durable.
final class GroupCommitter: Sendable {
    private struct Job: Sendable {
        /// Runs the write in its savepoint and keeps its outcome; false if it could not run
        /// because the transaction itself is gone (then it goes into the next one).
        let run: @Sendable (Database) -> Bool
        /// Hands the kept outcome to the caller once the transaction committed, or `error`.
        let finish: @Sendable ((any Error)?) -> Void
    }

    private struct State {
        var waiting: [Job] = []
        var writing = false
    }

    let database: DatabasePool
    /// Most writes in one transaction, so one batch never holds the writer for long.
    let maxBatch: Int
    private let state = Mutex(State())

    init(database: DatabasePool, maxBatch: Int = 256) {
        self.database = database
        self.maxBatch = maxBatch
    }

    func write<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let outcome = Mutex<Result<T, any Error>?>(nil)
            let job = Job(
                run: { db in
                    guard db.isInsideTransaction else { return false }
                    do {
                        var value: T?
                        try db.inSavepoint {
                            value = try updates(db)
                            return .commit
                        }
                        if let value { outcome.withLock { $0 = .success(value) } }
                    } catch {
                        outcome.withLock { $0 = .failure(error) }
                    }
                    return true
                },
                finish: { error in
                    if let error {
                        continuation.resume(throwing: error)
                    } else if let result = outcome.withLock({ $0 }) {
                        continuation.resume(with: result)
                    } else {
                        continuation.resume(throwing: DatabaseError(resultCode: .SQLITE_INTERNAL, message: "a grouped write finished without an outcome"))
                    }
                }
            )
            let startWriter = state.withLock { state in
                state.waiting.append(job)
                guard !state.writing else { return false }
                state.writing = true
                return true
            }
            if startWriter { Task { await self.writeUntilDrained() } }
        }
    }

    private func writeUntilDrained() async {
        while true {
            let batch = state.withLock { state -> [Job] in
                let batch = Array(state.waiting.prefix(maxBatch))
                state.waiting.removeFirst(batch.count)
                if batch.isEmpty { state.writing = false }
                return batch
            }
            if batch.isEmpty { return }
            await commit(batch)
        }
    }

    private func commit(_ batch: [Job]) async {
        do {
            let ran = try await database.write { db in
                var ran = 0
                for job in batch {
                    guard job.run(db) else { break }
                    ran += 1
                }
                return ran
            }
            for job in batch[..<ran] { job.finish(nil) }
            // A write that broke the transaction itself (SQLite rolled it back): the ones
            // after it never ran; they go first into the next transaction.
            if ran < batch.count {
                state.withLock { $0.waiting.insert(contentsOf: batch[ran...], at: 0) }
            }
        } catch {
            // The commit failed (disk full, I/O error): nothing in the batch is stored.
            for job in batch { job.finish(error) }
        }
    }
}
