import ShoalCore
import Synchronization

/// The agent's one source of facts, shared by heartbeats and bundle runs. Facts describe what a
/// node is, which changes rarely and mostly through the agent's own bundles, so a collection is
/// kept for `maxAge` and redone at once after a bundle ran (`invalidate`). Each heartbeat and
/// each bundle start then costs no reads of /proc, /etc and the mounts, and no nvidia-smi.
public final class NodeFactsSource: Sendable {
    private struct Entry {
        var facts: NodeFacts
        var collectedAt: ContinuousClock.Instant
    }

    public let collector: FactsCollector
    public let maxAge: Duration
    private let entry = Mutex<Entry?>(nil)

    public init(collector: FactsCollector, maxAge: Duration = .seconds(300)) {
        self.collector = collector
        self.maxAge = maxAge
    }

    /// The facts, collected now when the kept ones are older than `maxAge` or were invalidated.
    public func current() async -> NodeFacts {
        let now = ContinuousClock.now
        if let kept = entry.withLock({ $0 }), now - kept.collectedAt < maxAge {
            return kept.facts
        }
        // Two callers at once may both collect; the later one's answer is kept, both are right.
        let facts = await collector.collectIncludingGPU()
        entry.withLock { $0 = Entry(facts: facts, collectedAt: now) }
        return facts
    }

    /// Forgets the kept facts: the next `current()` collects them again. Called after a bundle
    /// ran, since steps change what facts report (packages, drivers, mounts).
    public func invalidate() {
        entry.withLock { $0 = nil }
    }
}
