/// The attributes a selector can name besides labels, read from a node's facts and status.
public enum SelectorFacts {
    /// Fact keys selectors understand, documented in docs/operations.md.
    public static let keys = [
        "id", "hostname", "status", "os.id", "os.release", "os.name", "kernel", "arch",
        "cpu.count", "cpu.model", "memory.gib", "agent.version",
    ]

    /// Resolves `key` for a node: a label of that name wins, then a fact.
    public static func value(
        for key: String, id: String, hostname: String, status: String, labels: [String: String], facts: NodeFacts?
    ) -> String? {
        if let label = labels[key] { return label }
        switch key {
        case "id": return id
        case "hostname": return hostname
        case "status": return status
        default: break
        }
        guard let facts else { return nil }
        switch key {
        case "os.id": return facts.osID
        case "os.release", "os.version": return facts.osVersion
        case "os.name": return facts.osPrettyName
        case "kernel": return facts.kernel
        case "arch": return facts.architecture
        case "cpu.count": return String(facts.cpuCount)
        case "cpu.model": return facts.cpuModel
        case "memory.gib": return String(facts.memoryBytes >> 30)
        case "agent.version": return facts.agentVersion
        default: return nil
        }
    }
}
