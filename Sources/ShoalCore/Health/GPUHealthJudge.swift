/// Judges a GPU's health from the figures an agent reports (`NodeMetrics.GPU`). Pure, so the
/// agent judges what it samples and the coordinator can judge an older agent's counters the
/// same way. The rules, documented in docs/operations.md ("GPU health"):
///
/// failed (take the GPU out of work until it is repaired):
/// - nvidia-smi says the GPU is lost / fallen off the bus;
/// - a row remap failed (no spare rows left);
/// - uncorrectable ECC errors since the driver loaded (volatile count above 0);
/// - a fatal XID in the kernel log since boot (`fatalXIDs`).
///
/// degraded (works, wants a look):
/// - a row remap or page retirement waits for a GPU reset / driver reload;
/// - 60 or more retired pages (NVIDIA's RMA threshold for page retirement);
/// - clocks held down by hardware slowdown, thermal slowdown or the power brake;
/// - an XID that usually means an application fault, or one not in these tables.
///
/// Corrected ECC errors, aggregate (lifetime) counts and software power capping alone are
/// normal and leave a GPU ok: they are reported, not judged.
public enum GPUHealthJudge {
    public struct Verdict: Sendable, Equatable {
        public var state: GPUHealthState
        /// What was found and what to do; nil when `ok`.
        public var reason: String?

        public init(state: GPUHealthState, reason: String? = nil) {
            self.state = state
            self.reason = reason
        }

        public static let ok = Verdict(state: .ok)
    }

    /// XIDs after which a GPU should not run work until reset or serviced. From NVIDIA's XID
    /// catalogue (https://docs.nvidia.com/deploy/xid-errors/, "XID Errors" table and its
    /// recommended actions: reset the GPU / reboot / report the board).
    public static let fatalXIDs: [Int: String] = [
        48: "double-bit ECC error",
        62: "internal micro-controller halt",
        63: "ECC page retirement or row remapping event, needs a GPU reset",
        64: "ECC page retirement or row remapping recording failure",
        74: "NVLink error",
        79: "GPU has fallen off the bus",
        94: "contained ECC error",
        95: "uncontained ECC error",
        119: "GSP RPC timeout",
        120: "GSP error",
        140: "unrecovered ECC error",
    ]

    /// XIDs that in the catalogue usually point at the application or a transient fault.
    public static let degradingXIDs: [Int: String] = [
        13: "graphics engine exception (often an application fault)",
        31: "GPU memory page fault (often an application fault)",
        32: "invalid or corrupted push buffer stream",
        43: "GPU stopped processing (often an application fault)",
        61: "internal micro-controller breakpoint/warning",
        68: "video decoder exception",
        69: "graphics engine class error",
        92: "high single-bit ECC error rate",
        109: "context switch timeout",
        121: "C2C link corrected error",
        154: "GPU recovery action changed (see 'GPU Recovery Action' in nvidia-smi -q)",
    ]

    /// XID 45 (preemptive cleanup) follows other errors or a killed application: no verdict of its own.
    public static let ignoredXIDs: Set<Int> = [45]

    /// Clock event reasons that mean the hardware is protecting itself (heat, power supply).
    public static let degradingThrottleReasons: [String: String] = [
        "hw_slowdown": "hardware slowdown",
        "hw_thermal_slowdown": "hardware thermal slowdown",
        "hw_power_brake_slowdown": "power brake slowdown (external power brake asserted)",
        "sw_thermal_slowdown": "thermal slowdown (the GPU is above its target temperature)",
    ]

    /// NVIDIA's page retirement RMA threshold.
    public static let retiredPagesRMAThreshold: UInt64 = 60

    /// One GPU.
    public static func judge(_ gpu: NodeMetrics.GPU) -> Verdict {
        var failed: [String] = []
        var degraded: [String] = []
        if gpu.fallenOffBus == true {
            failed.append("lost from the bus (nvidia-smi cannot reach it): check seating, power and PCIe, then reboot the node; if it recurs, service the GPU")
        }
        if gpu.remappedRowsFailure == true {
            failed.append("row remapping failed (no spare memory rows left): take the GPU out of service and RMA it")
        }
        if let errors = gpu.eccUncorrectedVolatile, errors > 0 {
            failed.append("\(errors) uncorrectable ECC error(s) since the driver loaded: drain it, then reset the GPU (nvidia-smi -r) or reboot; if they come back, service it")
        }
        let codes = gpu.xidCodes ?? gpu.lastXid.map { [$0] } ?? []
        let fatal = codes.filter { fatalXIDs[$0] != nil }
        if !fatal.isEmpty {
            failed.append("kernel log shows " + describe(fatal, fatalXIDs) + ": drain it and reset the GPU or reboot (a reboot clears the log); if it recurs, service it")
        }
        if gpu.remappedRowsPending == true {
            degraded.append("a memory row remap waits for a GPU reset: drain it, then nvidia-smi -r or reboot")
        }
        if gpu.retiredPagesPending == true {
            degraded.append("a page retirement waits for a driver reload: drain it, then reboot")
        }
        let retired = (gpu.retiredPagesSingleBit ?? 0) + (gpu.retiredPagesDoubleBit ?? 0)
        if retired >= retiredPagesRMAThreshold {
            degraded.append("\(retired) retired memory pages, at NVIDIA's RMA threshold of \(retiredPagesRMAThreshold): plan to replace the GPU")
        }
        let throttled = (gpu.throttleReasons ?? []).compactMap { degradingThrottleReasons[$0] }
        if !throttled.isEmpty {
            degraded.append("clocks held down by \(throttled.joined(separator: ", ")): check cooling, fans and power delivery")
        }
        let minor = codes.filter { fatalXIDs[$0] == nil && !ignoredXIDs.contains($0) }
        if !minor.isEmpty {
            degraded.append("kernel log shows " + describe(minor, degradingXIDs) + ": look at the workload that ran; if it repeats without one, reset the GPU")
        }
        if !failed.isEmpty { return Verdict(state: .failed, reason: (failed + degraded).joined(separator: "; ")) }
        if !degraded.isEmpty { return Verdict(state: .degraded, reason: degraded.joined(separator: "; ")) }
        return .ok
    }

    /// A node's GPUs taken together: the worst GPU's state, and each unhealthy GPU's reason.
    /// A GPU that already carries a verdict (the agent judged it) keeps it.
    public static func node(_ gpus: [NodeMetrics.GPU]) -> Verdict {
        var worst = GPUHealthState.ok
        var reasons: [String] = []
        for gpu in gpus.sorted(by: { $0.index < $1.index }) {
            let verdict = gpu.healthState.map { Verdict(state: $0, reason: gpu.healthReason) } ?? judge(gpu)
            worst = max(worst, verdict.state)
            if verdict.state != .ok { reasons.append("GPU \(gpu.index) \(verdict.state.rawValue): \(verdict.reason ?? "no reason given")") }
        }
        return Verdict(state: worst, reason: reasons.isEmpty ? nil : bounded(reasons.joined(separator: " | ")))
    }

    /// The metrics with each GPU and the node judged (what an agent sends).
    public static func judged(_ metrics: NodeMetrics) -> NodeMetrics {
        guard let gpus = metrics.gpus else { return metrics }
        var metrics = metrics
        metrics.gpus = gpus.map { gpu in
            var gpu = gpu
            let verdict = judge(gpu)
            gpu.healthState = verdict.state
            gpu.healthReason = verdict.reason.map(bounded)
            return gpu
        }
        // A node-level finding the agent set already (nvidia-smi itself failing) stays, beside the GPUs'.
        let verdict = node(metrics.gpus ?? [])
        let reasons = [metrics.gpuHealthState == nil ? nil : metrics.gpuHealthReason, verdict.reason].compactMap { $0 }
        metrics.gpuHealthState = max(metrics.gpuHealthState ?? .ok, verdict.state)
        metrics.gpuHealthReason = reasons.isEmpty ? nil : bounded(reasons.joined(separator: " | "))
        return metrics
    }

    /// The node's verdict as reported, or judged here from its GPUs' counters when an older
    /// agent sent none; nil when the node reports no GPUs.
    public static func nodeVerdict(_ metrics: NodeMetrics?) -> Verdict? {
        guard let metrics else { return nil }
        if let state = metrics.gpuHealthState { return Verdict(state: state, reason: metrics.gpuHealthReason) }
        guard let gpus = metrics.gpus, !gpus.isEmpty else { return nil }
        return node(gpus)
    }

    /// `XID 79 (GPU has fallen off the bus), XID 48 (double-bit ECC error)`.
    static func describe(_ codes: [Int], _ table: [Int: String]) -> String {
        codes.map { code in "XID \(code)" + (table[code].map { " (\($0))" } ?? " (not in Shoal's table; see NVIDIA's XID catalogue)") }.joined(separator: ", ")
    }

    /// Reasons fit the wire bound (`HeartbeatRequest.validate`): cut with an ellipsis.
    public static func bounded(_ reason: String) -> String {
        reason.count <= maxReasonLength ? reason : String(reason.prefix(maxReasonLength - 1)) + "…"
    }

    public static let maxReasonLength = 2000
}
