import Foundation
import ShoalAgent
import ShoalCore

/// What one simulated node looks like: plausible, fixed facts (so, as on a real agent, they
/// travel only with the first heartbeat after a start) and metrics that move a little with
/// every heartbeat.
struct SimulatedHardware: Sendable {
    let facts: NodeFacts
    let gpu: GPUProfile?
    private let memoryBytes: UInt64
    private let diskBytes: UInt64

    init(hostname: String, index: Int, gpu: GPUProfile?) {
        // A few machine shapes, picked by index so a node keeps its shape across runs.
        let cpus = [8, 16, 32, 64, 128][index % 5]
        memoryBytes = UInt64(cpus) * 4 << 30
        diskBytes = UInt64([240, 480, 960, 1920][index % 4]) << 30
        self.gpu = gpu
        facts = NodeFacts(
            hostname: hostname, osID: index % 3 == 0 ? "debian" : "ubuntu", osVersion: index % 3 == 0 ? "12" : "24.04",
            osPrettyName: index % 3 == 0 ? "Debian GNU/Linux 12 (bookworm)" : "Ubuntu 24.04.1 LTS",
            kernel: index % 3 == 0 ? "6.1.0-26-amd64" : "6.8.0-49-generic", architecture: "x86_64", cpuCount: cpus,
            cpuModel: "AMD EPYC 9354 32-Core Processor", memoryBytes: memoryBytes,
            disks: [NodeFacts.Disk(mount: "/", totalBytes: diskBytes, freeBytes: diskBytes / 2)],
            agentVersion: AgentVersion.current + "+sim", gpu: gpu?.info
        )
    }

    /// A fresh sample: load and memory wander, the disk fills slowly, GPUs as captured.
    func sample() -> NodeMetrics {
        let load = Double.random(in: 0.1...Double(facts.cpuCount) / 4)
        var metrics = NodeMetrics(
            cpuPercent: Double.random(in: 1...60), load1: load, load5: load * 0.9, load15: load * 0.8,
            memoryTotalBytes: memoryBytes, memoryUsedBytes: UInt64(Double(memoryBytes) * Double.random(in: 0.2...0.7)),
            rootDiskTotalBytes: diskBytes, rootDiskUsedBytes: diskBytes / 2 + UInt64.random(in: 0...(1 << 20)),
            gpus: gpu?.metrics
        )
        if gpu != nil { metrics = GPUHealthJudge.judged(metrics) }
        return metrics
    }
}
