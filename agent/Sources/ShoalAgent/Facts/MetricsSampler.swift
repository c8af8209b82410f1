import Foundation
import ShoalCore

/// Samples load figures for heartbeats. CPU % is the busy share of jiffies in /proc/stat
/// since the previous sample, so the first sample after start reports the average since boot.
/// GPU figures come from nvidia-smi when it exists, XIDs from the kernel log, and each GPU and
/// the node are judged by `GPUHealthJudge`. After nvidia-smi fails it is left alone for a
/// minute, and the failure stands for that minute.
public actor MetricsSampler {
    private var previous: (busy: UInt64, total: UInt64)?
    private let root: String
    private let nvidia: NvidiaDetector
    private let kernelLog: NvidiaKernelLog
    /// How long one kernel-log read of XIDs stands before it is read again.
    private let kernelLogInterval: Duration
    /// Query fields this driver refused, so they are not asked for (and refused) every time.
    private var unsupportedGPUFields: Set<String> = []
    private var gpuRetryAfter: ContinuousClock.Instant?
    private var lastGPUFailure: NvidiaMetricsSample?
    private var xids: (readAt: ContinuousClock.Instant, events: [NvidiaXIDEvent]?)?
    static let gpuRetryDelay: Duration = .seconds(60)
    /// The last sample taken: a task's `gpu.health` selector is checked against it.
    public private(set) var latest: NodeMetrics?

    public init(root: String = "", nvidia: NvidiaDetector? = nil, kernelLog: NvidiaKernelLog = NvidiaKernelLog(), kernelLogInterval: Duration = .seconds(60)) {
        self.root = root
        self.nvidia = nvidia ?? NvidiaDetector(procRoot: root, sysRoot: root, timeout: .seconds(5))
        self.kernelLog = kernelLog
        self.kernelLogInterval = kernelLogInterval
    }

    public func sample() async -> NodeMetrics {
        var metrics = sampleHost()
        let gpu = await sampleGPUs()
        metrics.gpus = gpu?.gpus
        if let verdict = gpu?.failureVerdict {
            metrics.gpuHealthState = verdict.state
            metrics.gpuHealthReason = verdict.reason
        }
        if let gpus = metrics.gpus, !gpus.isEmpty, let events = await xidEvents() {
            metrics.gpus = Self.withXIDs(gpus, events: events)
        }
        metrics = GPUHealthJudge.judged(metrics)
        latest = metrics
        return metrics
    }

    private func sampleGPUs() async -> NvidiaMetricsSample? {
        if let gpuRetryAfter, ContinuousClock.now < gpuRetryAfter { return lastGPUFailure }
        guard nvidia.resolveNvidiaSMI() != nil else { return nil }
        let sample = await nvidia.sampleMetrics(knownUnsupported: unsupportedGPUFields)
        unsupportedGPUFields = sample.unsupported
        let failed = sample.gpus == nil
        gpuRetryAfter = failed ? ContinuousClock.now + Self.gpuRetryDelay : nil
        lastGPUFailure = failed ? sample : nil
        return sample
    }

    private func xidEvents() async -> [NvidiaXIDEvent]? {
        let now = ContinuousClock.now
        if let xids, now - xids.readAt < kernelLogInterval { return xids.events }
        let events = await kernelLog.xidEvents()
        xids = (now, events)
        return events
    }

    /// Each GPU with its XIDs, matched by PCI bus id; a GPU whose bus id is unknown is left without.
    static func withXIDs(_ gpus: [NodeMetrics.GPU], events: [NvidiaXIDEvent]) -> [NodeMetrics.GPU] {
        let byBus = Dictionary(grouping: events, by: \.bus)
        return gpus.map { gpu in
            guard let key = gpu.pciBusID.flatMap({ NvidiaXIDEvent.busKey($0) }) else { return gpu }
            var gpu = gpu
            let mine = byBus[key] ?? []
            gpu.xidCount = UInt64(mine.count)
            gpu.xidCodes = Array(Set(mine.map(\.code)).sorted().prefix(64))
            gpu.lastXid = mine.last?.code
            return gpu
        }
    }

    private func sampleHost() -> NodeMetrics {
        let cpu = cpuPercent()
        let load = (read("/proc/loadavg") ?? "").split(separator: " ").prefix(3).compactMap { Double($0) }
        let memory = FactsCollector.meminfo(read("/proc/meminfo") ?? "")
        let total = memory["MemTotal"] ?? 0
        let available = memory["MemAvailable"] ?? memory["MemFree"] ?? 0
        let disk = DiskUsage(path: root + "/")
        let disks = FactsCollector.diskUsage(root: root) { read($0) }
        return NodeMetrics(
            cpuPercent: cpu,
            load1: load.count > 0 ? load[0] : 0,
            load5: load.count > 1 ? load[1] : 0,
            load15: load.count > 2 ? load[2] : 0,
            memoryTotalBytes: total,
            memoryUsedBytes: total > available ? total - available : 0,
            rootDiskTotalBytes: disk?.totalBytes ?? 0,
            rootDiskUsedBytes: disk.map { $0.totalBytes - min($0.totalBytes, $0.availableBytes) } ?? 0,
            disks: disks
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
