import Foundation
import NIOHTTP1
import ShoalCore
import Synchronization

extension APIClient {
    /// Moves to the next coordinator URL after a request to `base` could not be served there:
    /// a refused connection, a failed TLS handshake, a timeout, or an answer saying that
    /// coordinator cannot serve now (`servesElsewhere`). Any other answer, even an error,
    /// shows the coordinator is there and working, so it never moves the client. The request
    /// that failed still throws; the caller's retry (after its usual backoff) goes to the next URL.
    func moveOn(from base: String, because failure: ShoalError) {
        guard let next = endpoints.withLock({ $0.moveOn(from: base) }) else { return }
        onMove?(base, next, failure)
    }

    /// The error of a non-2xx answer from `base`, moving the client on when the answer says
    /// another coordinator may serve where this one cannot.
    func refusalMovingOn(status: HTTPResponseStatus, body: Data, method: HTTPMethod, path: String, at base: String) -> ShoalError {
        let refusal = Self.refusal(status: status, body: body, method: method, path: path)
        if Self.servesElsewhere(status: status) { moveOn(from: base, because: refusal) }
        return refusal
    }

    /// 502, 503 and 504: a replica that lost its database (`server.storage` is a 503), or a
    /// proxy in front of one that is gone. Another replica may well serve the request.
    static func servesElsewhere(status: HTTPResponseStatus) -> Bool {
        [502, 503, 504].contains(status.code)
    }
}
