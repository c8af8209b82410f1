import Foundation
import ShoalCore
import Testing

@Suite("GPU health rules")
struct GPUHealthJudgeTests {
    func gpu(_ edit: (inout NodeMetrics.GPU) -> Void) -> NodeMetrics.GPU {
        var gpu = NodeMetrics.GPU(index: 0, uuid: "GPU-1")
        gpu.eccUncorrectedVolatile = 0
        gpu.remappedRowsPending = false
        gpu.remappedRowsFailure = false
        gpu.throttleReasons = []
        gpu.xidCodes = []
        edit(&gpu)
        return gpu
    }

    func metrics(_ gpus: [NodeMetrics.GPU]?) -> NodeMetrics {
        var metrics = NodeMetrics(cpuPercent: 1, load1: 0, load5: 0, load15: 0, memoryTotalBytes: 1, memoryUsedBytes: 1, rootDiskTotalBytes: 1, rootDiskUsedBytes: 1)
        metrics.gpus = gpus
        return metrics
    }

    @Test("each rule: what fails a GPU, what degrades it, and what leaves it ok")
    func rules() {
        let cases: [(String, GPUHealthState, String?, (inout NodeMetrics.GPU) -> Void)] = [
            ("healthy", .ok, nil, { _ in }),
            ("corrected ECC, lifetime counts and power capping are normal", .ok, nil, {
                $0.eccCorrectedVolatile = 900
                $0.eccUncorrectedAggregate = 4
                $0.throttleReasons = ["sw_power_cap", "gpu_idle"]
                $0.xidCodes = [45]
            }),
            ("lost", .failed, "lost from the bus", { $0.fallenOffBus = true }),
            ("remap failure", .failed, "row remapping failed", { $0.remappedRowsFailure = true }),
            ("uncorrectable ECC", .failed, "3 uncorrectable ECC error(s)", { $0.eccUncorrectedVolatile = 3 }),
            ("fatal XID", .failed, "XID 48 (double-bit ECC error)", { $0.xidCodes = [13, 48] }),
            ("fatal XID from an agent that sent only the last", .failed, "XID 79", {
                $0.xidCodes = nil
                $0.lastXid = 79
            }),
            ("remap pending", .degraded, "row remap waits for a GPU reset", { $0.remappedRowsPending = true }),
            ("retirement pending", .degraded, "page retirement waits", { $0.retiredPagesPending = true }),
            ("retired pages at the RMA threshold", .degraded, "60 retired memory pages", {
                $0.retiredPagesSingleBit = 50
                $0.retiredPagesDoubleBit = 10
            }),
            ("power brake", .degraded, "power brake slowdown", { $0.throttleReasons = ["hw_power_brake_slowdown"] }),
            ("application XID", .degraded, "XID 31 (GPU memory page fault", { $0.xidCodes = [31] }),
            ("unknown XID", .degraded, "XID 9999 (not in Shoal's table", { $0.xidCodes = [9999] }),
        ]
        for (name, state, reason, edit) in cases {
            let verdict = GPUHealthJudge.judge(gpu(edit))
            #expect(verdict.state == state, "\(name): \(verdict.reason ?? "")")
            if let reason {
                #expect(verdict.reason?.contains(reason) == true, "\(name): \(verdict.reason ?? "")")
            } else {
                #expect(verdict.reason == nil, "\(name)")
            }
        }
    }

    @Test("the node takes its worst GPU, names each unhealthy one, and a node-level failure the agent set stays")
    func node() {
        let judged = GPUHealthJudge.judged(metrics([gpu { $0.index = 1; $0.remappedRowsPending = true }, gpu { _ in }, gpu { $0.index = 2; $0.fallenOffBus = true }]))
        #expect(judged.gpus?.map(\.healthState) == [.degraded, .ok, .failed])
        #expect(judged.gpuHealthState == .failed)
        #expect(judged.gpuHealthReason?.hasPrefix("GPU 1 degraded: a memory row remap") == true)
        #expect(judged.gpuHealthReason?.contains("GPU 2 failed: lost from the bus") == true)
        var preset = metrics(nil)
        preset.gpuHealthState = .failed
        preset.gpuHealthReason = "nvidia-smi fails"
        #expect(GPUHealthJudge.judged(preset).gpuHealthState == .failed)
        #expect(GPUHealthJudge.judged(metrics(nil)).gpuHealthState == nil)
        #expect(GPUHealthJudge.judged(metrics([gpu { _ in }])).gpuHealthState == .ok)
    }

    @Test("an older agent's counters (no verdict sent) are judged on the coordinator; no GPUs, no verdict")
    func olderAgent() throws {
        let old = #"{"cpuPercent":1,"load1":0,"load5":0,"load15":0,"memoryTotalBytes":1,"memoryUsedBytes":1,"rootDiskTotalBytes":1,"rootDiskUsedBytes":1,"gpus":[{"index":0,"eccUncorrectedVolatile":2}]}"#
        let decoded = try WireCoding.decode(NodeMetrics.self, from: Data(old.utf8))
        #expect(decoded.gpuHealthState == nil)
        #expect(GPUHealthJudge.nodeVerdict(decoded)?.state == .failed)
        #expect(GPUHealthJudge.nodeVerdict(metrics(nil)) == nil)
        #expect(GPUHealthJudge.nodeVerdict(metrics([])) == nil)
        #expect(GPUHealthJudge.nodeVerdict(nil) == nil)
    }

    @Test("the new fields travel under plain names with units, and old readers' fields are unchanged")
    func wireNames() throws {
        let judged = GPUHealthJudge.judged(metrics([gpu {
            $0.clockSMMHz = 1980
            $0.clockMemoryMHz = 3201
            $0.xidCount = 1
            $0.xidCodes = [79]
            $0.lastXid = 79
            $0.eccUncorrectedAggregate = 0
        }]))
        let text = String(decoding: try WireCoding.encode(judged), as: UTF8.self)
        for key in ["\"clockSMMHz\":1980", "\"clockMemoryMHz\":3201", "\"xidCount\":1", "\"xidCodes\":[79]", "\"lastXid\":79", "\"healthState\":\"failed\"", "\"gpuHealthState\":\"failed\"", "\"eccUncorrectedAggregate\":0"] {
            #expect(text.contains(key), "\(key) in \(text)")
        }
        #expect(try WireCoding.decode(NodeMetrics.self, from: Data(text.utf8)) == judged)
    }

    @Test("gpu.health selects by the node's latest metrics: ok, degraded, failed, and absent without GPUs")
    func selector() throws {
        func matches(_ selector: String, _ metrics: NodeMetrics?) throws -> Bool {
            try NodeSelector(parsing: selector).matches { key in
                SelectorFacts.value(for: key, id: "n-1", hostname: "h", status: "ready", labels: [:], facts: nil, metrics: metrics)
            }
        }
        let ok = GPUHealthJudge.judged(metrics([gpu { _ in }]))
        let failed = GPUHealthJudge.judged(metrics([gpu { $0.xidCodes = [79] }]))
        let noGPU = metrics(nil)
        #expect(try matches("gpu.health=ok", ok))
        #expect(try !matches("gpu.health=ok", failed))
        #expect(try matches("gpu.health=failed", failed))
        #expect(try matches("gpu.health in (degraded,failed)", failed))
        #expect(try !matches("gpu.health=ok", noGPU))
        #expect(try matches("gpu.health!=failed", noGPU))
        #expect(SelectorFacts.keys.contains("gpu.health"))
        #expect(LabelText.reservation(of: "gpu.health") != nil)
    }
}
