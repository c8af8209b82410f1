import ShoalCore
import Synchronization

extension APIClient {
    /// Moves to the next coordinator URL after a request to `base` could not reach it: a
    /// refused connection, a failed TLS handshake, a timeout. An HTTP answer, even an error,
    /// shows the coordinator is there, so it never moves the client. The request that failed
    /// still throws; the caller's retry (after its usual backoff) goes to the next URL.
    func moveOn(from base: String, because failure: ShoalError) {
        guard let next = endpoints.withLock({ $0.moveOn(from: base) }) else { return }
        onMove?(base, next, failure)
    }
}
