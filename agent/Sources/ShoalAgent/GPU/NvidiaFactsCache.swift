import Foundation
import ShoalCore
import Synchronization

/// Keeps the last GPU detection so facts, gathered every heartbeat, do not start nvidia-smi
/// every time (it can take seconds per GPU without persistence mode). The answer is redone
/// when it is older than `maxAge`, or at once when the driver changes under it: nvidia-smi
/// appears or goes, or the loaded kernel module's version file changes.
public final class NvidiaFactsCache: Sendable {
    private struct Entry {
        var signature: String
        var detectedAt: ContinuousClock.Instant
        var gpu: NodeFacts.GPUInfo?
    }

    public let detector: NvidiaDetector
    public let maxAge: Duration
    private let entry = Mutex<Entry?>(nil)

    public init(detector: NvidiaDetector, maxAge: Duration = .seconds(300)) {
        self.detector = detector
        self.maxAge = maxAge
    }

    public func gpuFacts() async -> NodeFacts.GPUInfo? {
        let signature = (detector.resolveNvidiaSMI() ?? "-") + "\n" + (detector.kernelModuleText() ?? "-")
        let now = ContinuousClock.now
        if let cached = entry.withLock({ $0 }), cached.signature == signature, now - cached.detectedAt < maxAge {
            return cached.gpu
        }
        let gpu = await detector.detect().gpu
        entry.withLock { $0 = Entry(signature: signature, detectedAt: now, gpu: gpu) }
        return gpu
    }
}
