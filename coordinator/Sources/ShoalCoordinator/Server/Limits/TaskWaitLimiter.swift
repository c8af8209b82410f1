import Synchronization
import ShoalCore

/// Bounds the long polls on tasks (`GET /v1/tasks/{id}/changes`): each holds a connection
/// and a watch for up to a minute, so one credential (a script in a loop) may hold only
/// `perCredential` of them and the coordinator `total`.
final class TaskWaitLimiter: Sendable {
    /// One admitted wait; `release()` once it answers.
    struct Permit: Sendable {
        let key: String
        let limiter: TaskWaitLimiter
        func release() { limiter.release(key) }
    }

    let perCredential: Int
    let total: Int
    private let open = Mutex<[String: Int]>([:])

    init(perCredential: Int = 8, total: Int = 256) {
        self.perCredential = perCredential
        self.total = total
    }

    /// Admits one more wait for `credential`, or refuses with `request.rate_limited`.
    func acquire(credential: String) throws -> Permit {
        let refusal: String? = open.withLock { open in
            if open[credential, default: 0] >= perCredential {
                return "this credential already has \(perCredential) task waits open, the most allowed; wait for one to answer, or ask without 'wait'"
            }
            if open.values.reduce(0, +) >= total {
                return "the coordinator already holds \(total) task waits, the most allowed; try again shortly, or ask without 'wait'"
            }
            open[credential, default: 0] += 1
            return nil
        }
        if let refusal { throw ShoalError(.rateLimited, refusal, retryAfterSeconds: 1) }
        return Permit(key: credential, limiter: self)
    }

    /// Waits open now, all credentials together.
    var openCount: Int { open.withLock { $0.values.reduce(0, +) } }

    private func release(_ key: String) {
        open.withLock { open in
            open[key, default: 1] -= 1
            if open[key] == 0 { open[key] = nil }
        }
    }
}
