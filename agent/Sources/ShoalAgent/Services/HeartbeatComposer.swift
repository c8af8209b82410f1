import Foundation
import ShoalCore

/// Builds each heartbeat: metrics every time, facts only when they differ from the last facts
/// the coordinator acknowledged. Fast-moving figures (free disk space) are metrics, so facts
/// stay the same from beat to beat and are sent once.
struct HeartbeatComposer {
    let facts: NodeFactsSource
    let metrics: MetricsSampler
    let checks: NodeCheckBoard
    let spool: ResultSpool
    let trust: TrustState?
    /// What the coordinator has: nil until a heartbeat carrying facts was answered.
    private(set) var acknowledgedFacts: NodeFacts?

    init(facts: NodeFactsSource, metrics: MetricsSampler, checks: NodeCheckBoard, spool: ResultSpool, trust: TrustState?) {
        self.facts = facts
        self.metrics = metrics
        self.checks = checks
        self.spool = spool
        self.trust = trust
    }

    /// The next heartbeat and the facts it stands for (pass them to `acknowledged` once the
    /// coordinator answered).
    func compose() async -> (request: HeartbeatRequest, facts: NodeFacts) {
        let current = await facts.current()
        var sample = await metrics.sample()
        sample.checks = await checks.snapshot()
        let request = HeartbeatRequest(
            sentAt: Date(), metrics: sample, facts: current == acknowledgedFacts ? nil : current,
            spooledResults: spool.count, trustVersion: await trust?.version, labelsVersion: await trust?.labels.version
        )
        return (request, current)
    }

    mutating func acknowledged(_ facts: NodeFacts) {
        acknowledgedFacts = facts
    }
}
