import ShoalCore

extension NodeRecord {
    /// Whether this node satisfies a selector, its labels and facts as `SelectorFacts` reads them.
    func matches(_ selector: NodeSelector) -> Bool {
        let labels = self.labels
        let claimed = self.claimedLabels
        let facts = self.facts
        return selector.matches { key in
            SelectorFacts.value(for: key, id: id, hostname: hostname, status: status.rawValue, labels: labels, claimedLabels: claimed, facts: facts)
        }
    }
}
