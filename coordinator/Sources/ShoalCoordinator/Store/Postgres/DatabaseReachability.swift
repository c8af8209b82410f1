import Foundation
import ShoalCore
import Synchronization

/// Whether this replica can reach its database, as its change listener last found when it
/// connected. While it cannot, every store operation fails at once with `server.storage`
/// (a 503 to clients) instead of waiting on a pool that keeps retrying for a minute: an
/// agent given several coordinator URLs moves to another replica on a 503, and an operator
/// sees at once what is wrong.
///
/// Only a failure to reach the server counts (refused, reset, timed out, TLS): a server that
/// answers with an error (too many connections, a bad password) is reachable, and the pool's
/// connections may still work.
final class DatabaseReachability: Sendable {
    private struct Loss {
        var since: Date
        var reason: String
    }

    private let loss = Mutex<Loss?>(nil)

    /// Returns true when this changed the state (the caller logs it once).
    func lost(_ reason: String, at now: Date = Date()) -> Bool {
        loss.withLock { loss in
            guard loss == nil else { return false }
            loss = Loss(since: now, reason: reason)
            return true
        }
    }

    /// Returns true when the database was unreachable until now.
    func restored() -> Bool {
        loss.withLock { loss in
            defer { loss = nil }
            return loss != nil
        }
    }

    /// Throws the error every operation fails with while the database is unreachable.
    func check(location: String) throws {
        guard let current = loss.withLock({ $0 }) else { return }
        throw ShoalError(.storage, "this coordinator cannot reach its fleet database \(location) since \(Timestamp.format(current.since)) (\(current.reason)); another replica may serve, and this one recovers by itself once the database is reachable again")
    }
}
