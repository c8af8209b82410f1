/// The attributes a selector can name besides labels, read from a node's facts and status.
public enum SelectorFacts {
    /// Fact keys selectors understand, documented in docs/operations.md.
    public static let keys = [
        "id", "hostname", "status", "os.id", "os.release", "os.name", "kernel", "arch",
        "cpu.count", "cpu.model", "memory.gib", "agent.version",
        "gpu.count", "gpu.model", "gpu.memory_mib", "gpu.driver", "gpu.driver.major", "gpu.cuda", "gpu.compute_cap",
        "gpu.health",
    ]

    /// Prefix under which selectors reach the labels a node claimed for itself.
    public static let claimedPrefix = "claimed."

    /// Resolves `key` for a node. Built-ins and facts first, then `claimed.KEY` from the
    /// labels the node reported about itself, then labels from its token and operators. A
    /// label can never shadow a fact: `LabelText` refuses fact names as label keys, and the
    /// order here holds even for labels stored before that rule. `metrics` is the node's
    /// latest heartbeat, for `gpu.health`.
    public static func value(
        for key: String, id: String, hostname: String, status: String, labels: [String: String],
        claimedLabels: [String: String] = [:], facts: NodeFacts?, metrics: NodeMetrics? = nil
    ) -> String? {
        switch key {
        case "id": return id
        case "hostname": return hostname
        case "status": return status
        // Like status, it changes from one heartbeat to the next: absent on a node without GPUs,
        // so `gpu.health=ok` leaves those out and `gpu.health!=failed` keeps them.
        case "gpu.health": return GPUHealthJudge.nodeVerdict(metrics)?.state.rawValue
        default: break
        }
        if key.hasPrefix(claimedPrefix) { return claimedLabels[String(key.dropFirst(claimedPrefix.count))] }
        if LabelText.reservation(of: key) != nil { return factValue(for: key, facts: facts) }
        return labels[key]
    }

    /// A fact by its selector name; nil when the node has not reported it.
    static func factValue(for key: String, facts: NodeFacts?) -> String? {
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
        default: return gpuValue(for: key, facts.gpu)
        }
    }

    /// `gpu.*` keys. `gpu.count` is 0 on a node without NVIDIA GPUs, so `gpu.count>0` and
    /// `gpu.count=0` both work; the others are absent there (matching only `!=` and `notin`).
    /// Selector values cannot hold spaces, so the model has its spaces turned into `-`
    /// (`NVIDIA-H200`); with mixed models it is GPU 0's. `gpu.memory_mib` is the smallest
    /// GPU's, so `gpu.memory_mib>=40000` means every GPU has that much.
    static func gpuValue(for key: String, _ gpu: NodeFacts.GPUInfo?) -> String? {
        let devices = (gpu?.devices ?? []).sorted { $0.index < $1.index }
        switch key {
        case "gpu.count": return String(devices.count)
        case "gpu.model": return devices.lazy.compactMap(\.model).first.map { $0.split(separator: " ").joined(separator: "-") }
        case "gpu.memory_mib":
            let sizes = devices.map(\.memoryMiB)
            guard !sizes.isEmpty, !sizes.contains(nil) else { return nil }
            return sizes.compactMap { $0 }.min().map(String.init)
        case "gpu.driver": return gpu?.driverVersion
        case "gpu.driver.major": return gpu?.driverVersion?.split(separator: ".").first.map(String.init)
        case "gpu.cuda": return gpu?.cudaVersion
        case "gpu.compute_cap": return devices.lazy.compactMap(\.computeCapability).first
        default: return nil
        }
    }
}
