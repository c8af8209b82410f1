/// How usable a GPU, or a node's GPUs taken together, are: judged by `GPUHealthJudge` from
/// what nvidia-smi and the kernel log say. The wire spells it `ok`, `degraded`, `failed`;
/// selectors reach a node's as `gpu.health`.
public enum GPUHealthState: String, Codable, Sendable, Equatable, CaseIterable, Comparable {
    /// Nothing found that stands in the way of work.
    case ok
    /// Works, but something wants an operator's look (throttled clocks, a remap waiting for
    /// a reset, an XID that usually means an application fault).
    case degraded
    /// Do not schedule work here until it is repaired: lost from the bus, uncorrectable
    /// memory errors, a failed row remap, a fatal XID.
    case failed

    var severity: Int {
        switch self {
        case .ok: 0
        case .degraded: 1
        case .failed: 2
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.severity < rhs.severity }
}
