import ShoalCore

/// One `NvidiaDetector.sampleMetrics` answer.
public struct NvidiaMetricsSample: Sendable {
    /// The GPUs nvidia-smi answered for, then those it could not reach (`fallenOffBus`); nil
    /// when there is no nvidia-smi, no GPU, or no answer at all.
    public var gpus: [NodeMetrics.GPU]?
    /// Query fields this driver refused, to leave out next time.
    public var unsupported: Set<String>
    /// What nvidia-smi said when it failed as a whole (driver mismatch, lost GPU, timeout).
    public var problem: String?
    /// Whether that failure says a GPU is lost from the bus.
    public var gpuLost: Bool

    public init(gpus: [NodeMetrics.GPU]?, unsupported: Set<String>, problem: String? = nil, gpuLost: Bool = false) {
        self.gpus = gpus
        self.unsupported = unsupported
        self.problem = problem
        self.gpuLost = gpuLost
    }

    /// The node-level verdict for a failed nvidia-smi, or nil when it answered.
    public var failureVerdict: GPUHealthJudge.Verdict? {
        guard let problem else { return nil }
        let advice = gpuLost
            ? "a GPU has fallen off the bus: check seating, power and PCIe, then reboot the node; if it recurs, service the GPU"
            : "the driver does not answer: after a driver upgrade reboot (or reload the nvidia modules), and look for NVRM/Xid lines in the kernel log"
        return GPUHealthJudge.Verdict(state: .failed, reason: GPUHealthJudge.bounded("nvidia-smi fails (\(problem)): \(advice)"))
    }
}
