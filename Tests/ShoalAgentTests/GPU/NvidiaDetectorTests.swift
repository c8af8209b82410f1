import Foundation
import ShoalAgent
import ShoalCore
import Testing

/// Detection end to end: a fake nvidia-smi replaying a scenario, run through ProcessRunner,
/// with /proc and /sys read from the scenario's trees.
@Suite("NVIDIA detector")
struct NvidiaDetectorTests {
    let temp: TemporaryDirectory

    init() throws { temp = try TemporaryDirectory() }

    /// The argument lines the fake was called with (an empty line is a call without arguments).
    func calls(_ log: String) -> [String] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    @Test("H200: nvidia-smi found on the search path; driver, CUDA and device facts; no -L without MIG")
    func h200() async throws {
        let log = temp.file("calls")
        try NvidiaFixtures.installFakeSMI("h200", in: temp, name: "bin/nvidia-smi", log: log)
        let scenario = NvidiaFixtures.directory("h200")
        let detection = await NvidiaDetector(searchPath: ["/nonexistent", temp.file("bin")], procRoot: scenario, sysRoot: scenario, timeout: .seconds(60)).detect()
        #expect(detection.nvidiaSMIPath == temp.file("bin/nvidia-smi"))
        #expect(detection.kernelModuleVersion == "590.48.01")
        #expect(detection.problem == nil)
        let gpu = try #require(detection.gpu)
        #expect(gpu.driverLoaded)
        #expect(gpu.driverVersion == "590.48.01")
        #expect(gpu.cudaVersion == "13.1")
        #expect(gpu.devices == [NodeFacts.GPUDevice(
            index: 0, model: "NVIDIA H200", uuid: "GPU-8f4e2a1b-77c3-4d0e-b6a9-0c5d3e2f1a48", memoryMiB: 143_771,
            computeCapability: "9.0", migMode: "Disabled", pciBusID: "00000000:83:00.0", pciDeviceID: "10de:2335"
        )])
        let made = calls(log)
        #expect(made.count == 2)
        #expect(made.first?.hasPrefix("--query-gpu=index,name,uuid") == true)
        #expect(made.first?.hasSuffix("--format=csv,noheader,nounits") == true)
        #expect(made.last == "--version")
    }

    @Test("each GPU type's scenario is detected with its model, memory and compute capability")
    func everyScenario() async throws {
        let expected: [String: (model: String, count: Int, memory: UInt64, capability: String?, driver: String, cuda: String)] = [
            "rtx-2080-super": ("NVIDIA GeForce RTX 2080 SUPER", 1, 8192, "7.5", "595.71.05", "13.2"),
            "h200": ("NVIDIA H200", 1, 143_771, "9.0", "590.48.01", "13.1"),
            "l40s": ("NVIDIA L40S", 1, 46068, "8.9", "595.80", "13.2"),
            "a100-mig": ("NVIDIA A100-SXM4-80GB", 2, 81920, "8.0", "535.129.03", "12.2"),
            "t4-driver-470": ("Tesla T4", 4, 15109, nil, "470.182.03", "11.4"),
        ]
        for scenario in NvidiaFixtures.scenariosWithDriver {
            let smi = try NvidiaFixtures.installFakeSMI(scenario, in: temp, name: scenario)
            let gpu = try #require(await NvidiaFixtures.detector(scenario, smi: smi).detect().gpu)
            let want = try #require(expected[scenario])
            #expect(gpu.devices.count == want.count, "\(scenario)")
            #expect(gpu.devices.allSatisfy { $0.model == want.model && $0.memoryMiB == want.memory && $0.computeCapability == want.capability }, "\(scenario)")
            #expect(gpu.driverVersion == want.driver, "\(scenario)")
            #expect(gpu.cudaVersion == want.cuda, "\(scenario)")
        }
    }

    @Test("A100s with MIG: instances counted from -L for the MIG GPU only; CUDA from the table when --version is refused")
    func migAndTableFallback() async throws {
        let log = temp.file("calls")
        let smi = try NvidiaFixtures.installFakeSMI("a100-mig", in: temp, log: log)
        let gpu = try #require(await NvidiaFixtures.detector("a100-mig", smi: smi).detect().gpu)
        #expect(gpu.devices.map(\.migDevices) == [3, nil])
        #expect(gpu.cudaVersion == "12.2")
        #expect(calls(log).suffix(3) == ["--version", "", "-L"])
    }

    @Test("driver 470 refuses compute_cap: the query is repeated without it and the rest is read")
    func oldDriverRetry() async throws {
        let log = temp.file("calls")
        let smi = try NvidiaFixtures.installFakeSMI("t4-driver-470", in: temp, log: log)
        let gpu = try #require(await NvidiaFixtures.detector("t4-driver-470", smi: smi).detect().gpu)
        #expect(gpu.devices.map(\.index) == [0, 1, 2, 3])
        #expect(gpu.devices.map(\.pciBusID) == ["00000000:3B:00.0", "00000000:5E:00.0", "00000000:86:00.0", "00000000:AF:00.0"])
        let queries = calls(log).filter { $0.hasPrefix("--query-gpu=") }
        #expect(queries.count == 2)
        #expect(queries[0].contains("compute_cap"))
        #expect(!queries[1].contains("compute_cap"))
    }

    @Test("nvidia-smi fails (driver not loaded): the GPU is still counted from the PCI bus, audio/USB functions and the iGPU left out")
    func driverNotLoaded() async throws {
        let smi = try NvidiaFixtures.installFakeSMI("driver-not-loaded", in: temp)
        let detection = await NvidiaFixtures.detector("driver-not-loaded", smi: smi).detect()
        #expect(!detection.driverLoaded)
        #expect(detection.nvidiaSMIPath == smi)
        #expect(detection.problem?.contains("couldn't communicate with the NVIDIA driver") == true)
        #expect(detection.problem?.contains("exit status 9") == true)
        let gpu = try #require(detection.gpu)
        #expect(gpu.driverVersion == nil)
        #expect(gpu.devices == [NodeFacts.GPUDevice(index: 0, pciBusID: "00000000:01:00.0", pciDeviceID: "10de:1e81")])
    }

    @Test("no nvidia-smi is 'no driver', not an error: PCI devices still give the count")
    func noNvidiaSMI() async throws {
        let detection = await NvidiaFixtures.detector("driver-not-loaded", smi: nil).detect()
        #expect(detection.nvidiaSMIPath == nil)
        #expect(detection.gpuCount == 1)
        #expect(detection.gpu?.driverLoaded == false)
        #expect(detection.problem?.contains("does not exist") == true)
    }

    @Test("no GPU and no driver: no GPU facts at all")
    func noGPU() async {
        let detection = await NvidiaFixtures.detector("no-gpu", smi: nil).detect()
        #expect(detection.gpu == nil)
        #expect(detection.gpuCount == 0)
        let empty = await NvidiaDetector(nvidiaSmiPath: "nvidia-smi", searchPath: [temp.path], procRoot: temp.path, sysRoot: temp.path).detect()
        #expect(empty.gpu == nil)
    }

    @Test("metrics per GPU from the fake driver; none without nvidia-smi")
    func sampleMetrics() async throws {
        let smi = try NvidiaFixtures.installFakeSMI("a100-mig", in: temp)
        let sample = await NvidiaFixtures.detector("a100-mig", smi: smi).sampleMetrics()
        let sampled = try #require(sample.gpus)
        #expect(sample.unsupported.isEmpty)
        #expect(sample.problem == nil)
        #expect(sampled.map(\.uuid) == ["GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77", "GPU-9e1f3c4b-2a6d-4e8f-a0b1-c2d3e4f5a6b7"])
        #expect(sampled[0].utilizationPercent == nil)
        #expect(sampled[1].utilizationPercent == 87)
        #expect(sampled[1].temperatureC == 61)
        #expect(sampled[1].powerDrawW == 312.55)
        #expect(await NvidiaFixtures.detector("no-gpu", smi: nil).sampleMetrics().gpus == nil)
    }

    @Test("MetricsSampler adds GPU figures when a driver answers and leaves them out otherwise")
    func metricsSampler() async throws {
        let smi = try NvidiaFixtures.installFakeSMI("l40s", in: temp)
        let withGPU = await MetricsSampler(root: temp.path, nvidia: NvidiaFixtures.detector("l40s", smi: smi)).sample()
        #expect(withGPU.gpus?.count == 1)
        #expect(withGPU.gpus?.first?.memoryUsedMiB == 1235)
        let without = await MetricsSampler(root: temp.path, nvidia: NvidiaFixtures.detector("no-gpu", smi: nil)).sample()
        #expect(without.gpus == nil)
    }

    @Test("FactsCollector adds GPU facts, runs nvidia-smi again only when the loaded module changes")
    func factsCollectorCaches() async throws {
        let log = temp.file("calls")
        let smi = try NvidiaFixtures.installFakeSMI("h200", in: temp, log: log)
        let root = try TemporaryDirectory()
        try root.write("proc/driver/nvidia/version", try NvidiaFixtures.text("h200", "proc/driver/nvidia/version"))
        let collector = FactsCollector(root: root.path, nvidia: NvidiaDetector(nvidiaSmiPath: smi, searchPath: [], procRoot: root.path, sysRoot: root.path, timeout: .seconds(60)))
        #expect(collector.collect().gpu == nil)
        let first = await collector.collectIncludingGPU()
        #expect(first.gpu?.devices.first?.model == "NVIDIA H200")
        let second = await collector.collectIncludingGPU()
        #expect(second.gpu == first.gpu)
        #expect(calls(log).count == 2)
        try root.write("proc/driver/nvidia/version", "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  595.80  Release Build\n")
        _ = await collector.collectIncludingGPU()
        #expect(calls(log).count == 4)
    }
}
