import Foundation
import ShoalAgent
import ShoalCore
import Testing

/// GPU health end to end on the agent: a fake nvidia-smi and dmesg replay the committed
/// scenarios, `MetricsSampler` reads them as on a node, and `GPUHealthJudge` rules.
@Suite("GPU health from nvidia-smi and the kernel log")
struct GPUHealthTests {
    let temp: TemporaryDirectory

    init() throws { temp = try TemporaryDirectory() }

    func sample(_ scenario: String) async throws -> NodeMetrics {
        let smi = try NvidiaFixtures.installFakeSMI(scenario, in: temp, name: "smi-\(scenario)")
        let sampler = MetricsSampler(root: temp.path, nvidia: NvidiaFixtures.detector(scenario, smi: smi), kernelLog: try NvidiaFixtures.kernelLog(scenario, in: temp))
        return await sampler.sample()
    }

    @Test("healthy H200 and L40S: ok, no reason, XIDs counted as zero")
    func healthy() async throws {
        for scenario in ["h200", "l40s", "rtx-2080-super", "a100-mig", "t4-driver-470", "b200-driver-610"] {
            let metrics = try await sample(scenario)
            #expect(metrics.gpuHealthState == .ok, "\(scenario): \(metrics.gpuHealthReason ?? "")")
            #expect(metrics.gpuHealthReason == nil)
            for gpu in metrics.gpus ?? [] {
                #expect(gpu.healthState == .ok, "\(scenario)")
                #expect(gpu.xidCount == 0, "\(scenario)")
            }
        }
    }

    @Test("uncorrectable ECC errors since the driver loaded fail the GPU; the pending row remap is named too")
    func uncorrectableECC() async throws {
        let metrics = try await sample("h200-ecc-remap")
        let gpu = try #require(metrics.gpus?.first)
        #expect(gpu.healthState == .failed)
        #expect(gpu.healthReason?.contains("2 uncorrectable ECC error(s) since the driver loaded") == true)
        #expect(gpu.healthReason?.contains("row remap waits for a GPU reset") == true)
        #expect(metrics.gpuHealthState == .failed)
        #expect(metrics.gpuHealthReason?.hasPrefix("GPU 0 failed: 2 uncorrectable ECC") == true)
    }

    @Test("a GPU lost from the bus is reported (index in bus order) and failed; XID 13 on the other degrades it; XID 45 alone says nothing")
    func lostGPUAndXIDs() async throws {
        let metrics = try await sample("h200x2-xid-lost")
        let gpus = try #require(metrics.gpus)
        #expect(gpus.map(\.index) == [0, 1])
        #expect(gpus[0].xidCodes == [13, 45])
        #expect(gpus[0].xidCount == 2)
        #expect(gpus[0].lastXid == 45)
        #expect(gpus[0].healthState == .degraded)
        #expect(gpus[0].healthReason?.contains("XID 13 (graphics engine exception") == true)
        #expect(gpus[0].healthReason?.contains("XID 45") == false)
        #expect(gpus[1].pciBusID == "0000:84:00.0")
        #expect(gpus[1].fallenOffBus == true)
        #expect(gpus[1].xidCodes == [79])
        #expect(gpus[1].healthState == .failed)
        #expect(gpus[1].healthReason?.contains("lost from the bus") == true)
        #expect(gpus[1].healthReason?.contains("XID 79 (GPU has fallen off the bus)") == true)
        #expect(metrics.gpuHealthState == .failed)
        #expect(metrics.gpuHealthReason?.contains("GPU 0 degraded") == true)
        #expect(metrics.gpuHealthReason?.contains("GPU 1 failed") == true)
    }

    @Test("hardware and thermal slowdown degrade the GPU; software power capping alone does not")
    func throttled() async throws {
        let metrics = try await sample("l40s-throttled")
        #expect(metrics.gpuHealthState == .degraded)
        #expect(metrics.gpuHealthReason?.contains("clocks held down by hardware slowdown, thermal slowdown") == true)
        #expect(try await sample("rtx-2080-super").gpus?.first?.throttleReasons == ["sw_power_cap"])
    }

    @Test("nvidia-smi failing as a whole (driver not loaded) fails the node's GPU health with what it said")
    func driverFails() async throws {
        let metrics = try await sample("driver-not-loaded")
        #expect(metrics.gpus == nil)
        #expect(metrics.gpuHealthState == .failed)
        #expect(metrics.gpuHealthReason?.contains("NVIDIA-SMI has failed") == true)
        #expect(metrics.gpuHealthReason?.contains("the driver does not answer") == true)
        // No nvidia-smi at all: a node without NVIDIA GPUs has no GPU health.
        let none = await MetricsSampler(root: temp.path, nvidia: NvidiaFixtures.detector("no-gpu", smi: nil), kernelLog: try NvidiaFixtures.kernelLog(in: temp)).sample()
        #expect(none.gpuHealthState == nil)
    }

    @Test("one running sampler: ok, then failed with ECC, then failed with an XID, then ok again after the reset clears them")
    func turnsAndRecovers() async throws {
        let scenario = temp.file("scenario")
        func switchTo(_ name: String) throws { try name.write(toFile: scenario, atomically: true, encoding: .utf8) }
        try switchTo("h200")
        let smi = try NvidiaFixtures.installSwitchableFakeSMI(in: temp, scenarioFile: scenario)
        let detector = NvidiaDetector(nvidiaSmiPath: smi, searchPath: [], procRoot: temp.path, sysRoot: temp.path, timeout: .seconds(60))
        let sampler = MetricsSampler(root: temp.path, nvidia: detector, kernelLog: try NvidiaFixtures.kernelLog(in: temp, scenarioFile: scenario), kernelLogInterval: .zero)
        var states: [GPUHealthState?] = []
        for name in ["h200", "h200-ecc-remap", "h200x2-xid-lost", "h200"] {
            try switchTo(name)
            let metrics = await sampler.sample()
            states.append(metrics.gpuHealthState)
            // What a task's gpu.health selector is checked against on the node.
            #expect(await sampler.latest == metrics)
        }
        #expect(states == [.ok, .failed, .failed, .ok])
    }
}
