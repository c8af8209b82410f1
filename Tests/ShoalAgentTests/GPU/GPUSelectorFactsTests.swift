import Foundation
import ShoalAgent
import ShoalCore
import Testing

@Suite("GPU facts in selectors and on the wire")
struct GPUSelectorFactsTests {
    func facts(gpu: NodeFacts.GPUInfo?) -> NodeFacts {
        NodeFacts(
            hostname: "gpu-node-07", osID: "ubuntu", osVersion: "22.04", osPrettyName: "Ubuntu 22.04.4 LTS", kernel: "6.8.0",
            architecture: "x86_64", cpuCount: 64, cpuModel: "AMD EPYC 9354", memoryBytes: 1 << 40, disks: [], agentVersion: "0.1.0", gpu: gpu
        )
    }

    func matches(_ selector: String, _ facts: NodeFacts) throws -> Bool {
        try NodeSelector(parsing: selector).matches { key in
            SelectorFacts.value(for: key, id: "n-1", hostname: facts.hostname, status: "online", labels: [:], facts: facts)
        }
    }

    /// What the detector reports for a scenario, through the fake nvidia-smi.
    func detected(_ scenario: String) async throws -> NodeFacts.GPUInfo? {
        let temp = try TemporaryDirectory()
        let smi = try NvidiaFixtures.installFakeSMI(scenario, in: temp)
        return await NvidiaFixtures.detector(scenario, smi: smi).detect().gpu
    }

    @Test("gpu.count>0 and the other gpu.* keys match a node with an H200")
    func h200Node() async throws {
        let node = facts(gpu: try await detected("h200"))
        for selector in [
            "gpu.count>0", "gpu.count=1", "gpu.model=NVIDIA-H200", "gpu.memory_mib>=140000", "gpu.driver=590.48.01",
            "gpu.driver.major>=535", "gpu.cuda>=13", "gpu.compute_cap>=9.0", "gpu.count>0,gpu.model in (NVIDIA-H200,NVIDIA-H100)",
        ] {
            #expect(try matches(selector, node), "\(selector)")
        }
        for selector in ["gpu.count>1", "gpu.count=0", "gpu.model=NVIDIA-L40S", "gpu.compute_cap<8"] {
            #expect(try !matches(selector, node), "\(selector)")
        }
    }

    @Test("a node without GPUs has gpu.count 0 and no other gpu.* value")
    func noGPU() throws {
        let node = facts(gpu: nil)
        #expect(SelectorFacts.value(for: "gpu.count", id: "n-1", hostname: "h", status: "online", labels: [:], facts: node) == "0")
        #expect(try !matches("gpu.count>0", node))
        #expect(try matches("gpu.count=0", node))
        #expect(try !matches("gpu.model=NVIDIA-H200", node))
        #expect(try matches("gpu.driver!=535", node))
    }

    @Test("a GPU seen only on the PCI bus counts, with no driver value")
    func pciOnly() async throws {
        let node = facts(gpu: await NvidiaFixtures.detector("driver-not-loaded", smi: nil).detect().gpu)
        #expect(try matches("gpu.count>0", node))
        #expect(SelectorFacts.value(for: "gpu.driver", id: "n-1", hostname: "h", status: "online", labels: [:], facts: node) == nil)
        #expect(SelectorFacts.value(for: "gpu.memory_mib", id: "n-1", hostname: "h", status: "online", labels: [:], facts: node) == nil)
    }

    @Test("multi-GPU: gpu.count counts them all; T4s on 470 have no compute capability")
    func multiGPU() async throws {
        #expect(try matches("gpu.count=2,gpu.model=NVIDIA-A100-SXM4-80GB,gpu.memory_mib=81920", facts(gpu: try await detected("a100-mig"))))
        let t4 = facts(gpu: try await detected("t4-driver-470"))
        #expect(try matches("gpu.count>=4,gpu.driver.major<535,gpu.cuda=11.4", t4))
        #expect(try !matches("gpu.compute_cap>0", t4))
    }

    /// NodeFacts and NodeMetrics as agents and coordinators before GPU support decode them.
    struct PreGPUFacts: Decodable { var hostname: String; var cpuCount: Int; var disks: [NodeFacts.Disk] }
    struct PreGPUMetrics: Decodable { var cpuPercent: Double; var rootDiskUsedBytes: UInt64 }

    @Test("old and new sides decode each other: the GPU fields are optional and ignorable")
    func wireCompatibility() async throws {
        let withGPU = facts(gpu: try await detected("a100-mig"))
        let json = try WireCoding.encode(withGPU)
        #expect(try WireCoding.decode(NodeFacts.self, from: json) == withGPU)
        #expect(try WireCoding.decode(PreGPUFacts.self, from: json).cpuCount == 64)

        let withoutGPU = try WireCoding.encode(facts(gpu: nil))
        #expect(!String(decoding: withoutGPU, as: UTF8.self).contains("\"gpu\""))
        #expect(try WireCoding.decode(NodeFacts.self, from: withoutGPU).gpu == nil)

        var metrics = NodeMetrics(cpuPercent: 3, load1: 0, load5: 0, load15: 0, memoryTotalBytes: 1, memoryUsedBytes: 1, rootDiskTotalBytes: 1, rootDiskUsedBytes: 1)
        let oldMetrics = try WireCoding.encode(metrics)
        #expect(try WireCoding.decode(NodeMetrics.self, from: oldMetrics).gpus == nil)
        var gpu = NodeMetrics.GPU(index: 0, uuid: "GPU-1")
        gpu.utilizationPercent = 87
        metrics.gpus = [gpu]
        let newMetrics = try WireCoding.encode(metrics)
        #expect(try WireCoding.decode(NodeMetrics.self, from: newMetrics) == metrics)
        #expect(try WireCoding.decode(PreGPUMetrics.self, from: newMetrics).cpuPercent == 3)
        #expect(!String(decoding: newMetrics, as: UTF8.self).contains("eccCorrectedVolatile"))
    }
}
