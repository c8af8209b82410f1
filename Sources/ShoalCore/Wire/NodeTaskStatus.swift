/// The life of one node's share of a task. Every change goes through `canMove(to:)`; the
/// store refuses (and logs) anything else.
///
/// ```
/// pending ─► queued ─► sent ─► running ─► succeeded | failed | timed_out | interrupted
///    │         │         │        └──────► cancelled
///    │         │         └─► refused | timed_out | cancelled
///    │         └─► retry_wait ─► pending        (node down: retried with backoff)
///    └─► cancelled | failed (node down, no retries left)
/// ```
///
/// `sent` is all the coordinator can know when it answers a long poll: the bundle was handed
/// to the node's connection, which may have died on the way. Only the agent confirms it had
/// the bundle — by asking to start it (`running`) or by reporting a result (`refused`,
/// `cancelled`, …) — so nothing is shown as received before that.
public enum NodeTaskStatus: String, Codable, Sendable, CaseIterable {
    case pending, queued, sent, running
    case retryWait = "retry_wait"
    case succeeded, failed
    case timedOut = "timed_out"
    case cancelled, interrupted, refused

    public var isFinal: Bool {
        switch self {
        case .pending, .queued, .sent, .running, .retryWait: false
        default: true
        }
    }

    /// Holding a concurrency slot: started and not finished.
    public var isActive: Bool {
        switch self {
        case .queued, .sent, .running, .retryWait: true
        default: false
        }
    }

    /// Counts against the error budget.
    public var isFailure: Bool {
        switch self {
        case .failed, .timedOut, .interrupted, .refused: true
        default: false
        }
    }

    public func canMove(to next: NodeTaskStatus) -> Bool {
        switch (self, next) {
        case (.pending, .queued), (.pending, .cancelled), (.pending, .failed), (.pending, .retryWait): true
        case (.queued, .sent), (.queued, .cancelled), (.queued, .retryWait), (.queued, .timedOut): true
        case (.retryWait, .pending), (.retryWait, .cancelled): true
        case (.queued, _) where next.isFinal: true // a result can overtake the delivery record
        case (.sent, .running), (.sent, .cancelled), (.sent, .timedOut): true
        case (.sent, _) where next.isFinal: true
        case (.running, _) where next.isFinal: true
        default: false
        }
    }
}

/// The life of a rollout: `pending → running → succeeded | failed | halted | cancelled`.
public enum RolloutStatus: String, Codable, Sendable, CaseIterable {
    case pending, running, succeeded, failed, halted, cancelled

    public var isFinal: Bool { self != .pending && self != .running }

    public func canMove(to next: RolloutStatus) -> Bool {
        switch (self, next) {
        case (.pending, .running), (.pending, .cancelled), (.pending, .failed): true
        case (.running, _) where next.isFinal: true
        default: false
        }
    }
}
