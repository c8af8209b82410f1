import Foundation
import ShoalCore

/// Samples load figures for heartbeats. CPU % is the busy share of jiffies in /proc/stat
/// since the previous sample, so the first sample after start reports the average since boot.
/// GPU figures come from nvidia-smi when it exists; after it fails, it is left alone for a minute.
public actor MetricsSampler {
    private var previous: (busy: UInt64, total: UInt64)?
    private let root: String
    private let nvidia: NvidiaDetector
    /// Query fields this driver refused, so they are not asked for (and refused) every time.
    private var unsupportedGPUFields: Set<String> = []
    private var gpuRetryAfter: ContinuousClock.Instant?
    static let gpuRetryDelay: Duration = .seconds(60)

    public init(root: String = "", nvidia: NvidiaDetector? = nil) {
        self.root = root
        self.nvidia = nvidia ?? NvidiaDetector(procRoot: root, sysRoot: root, timeout: .seconds(5))
    }

    public func sample() async -> NodeMetrics {
        var metrics = sampleHost()
        metrics.gpus = await sampleGPUs()
        return metrics
    }

    private func sampleGPUs() async -> [NodeMetrics.GPU]? {
        if let gpuRetryAfter, ContinuousClock.now < gpuRetryAfter { return nil }
        guard nvidia.resolveNvidiaSMI() != nil else { return nil }
        let (gpus, unsupported) = await nvidia.sampleMetrics(knownUnsupported: unsupportedGPUFields)
        unsupportedGPUFields = unsupported
        gpuRetryAfter = gpus == nil ? ContinuousClock.now + Self.gpuRetryDelay : nil
        return gpus
    }

    private func sampleHost() -> NodeMetrics {
        let cpu = cpuPercent()
        let load = (read("/proc/loadavg") ?? "").split(separator: " ").prefix(3).compactMap { Double($0) }
        let memory = FactsCollector.meminfo(read("/proc/meminfo") ?? "")
        let total = memory["MemTotal"] ?? 0
        let available = memory["MemAvailable"] ?? memory["MemFree"] ?? 0
        let disk = DiskUsage(path: root + "/")
        return NodeMetrics(
            cpuPercent: cpu,
            load1: load.count > 0 ? load[0] : 0,
            load5: load.count > 1 ? load[1] : 0,
            load15: load.count > 2 ? load[2] : 0,
            memoryTotalBytes: total,
            memoryUsedBytes: total > available ? total - available : 0,
            rootDiskTotalBytes: disk?.totalBytes ?? 0,
            rootDiskUsedBytes: disk.map { $0.totalBytes - min($0.totalBytes, $0.availableBytes) } ?? 0
        )
    }

    private func cpuPercent() -> Double {
        guard let line = (read("/proc/stat") ?? "").split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return 0 }
        let values = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard values.count >= 4 else { return 0 }
        // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
        let idle = values[3] + (values.count > 4 ? values[4] : 0)
        let total = values.prefix(8).reduce(0, +)
        let busy = total - idle
        defer { previous = (busy, total) }
        guard let previous, total > previous.total else {
            return total > 0 ? Double(busy) * 100 / Double(total) : 0
        }
        return Double(busy - min(busy, previous.busy)) * 100 / Double(total - previous.total)
    }

    private func read(_ path: String) -> String? {
        try? String(contentsOfFile: root + path, encoding: .utf8)
    }
}
