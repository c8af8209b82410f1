import ShoalCore

extension NodeRecord {
    /// Whether this node satisfies a selector, its labels, facts and latest
    /// heartbeat metrics (`gpu.health`) as `SelectorFacts` reads them.
    func matches(_ selector: NodeSelector) -> Bool {
        let labels = self.labels
        let claimed = self.claimedLabels
        let facts = self.facts
        let metrics = self.metrics
        return selector.matches { key in
            SelectorFacts.value(for: key, id: id, hostname: hostname, status: status.rawValue, labels: labels, claimedLabels: claimed, facts: facts, metrics: metrics)
        }
    }
}
