import Foundation
import ShoalAgent
import ShoalCore
import Testing

@Suite("nvidia step")
struct NvidiaStepTests {
    let temp: TemporaryDirectory

    init() throws { temp = try TemporaryDirectory() }

    var context: StepContext {
        StepContext(nodeID: "n-1", bundleID: "b-1", stepIndex: 0, files: [:], outputPrefix: temp.file("step"), remaining: .seconds(60))
    }

    /// Params pointing the step at a scenario: its fake nvidia-smi (nil: none), /proc and /sys,
    /// and a search path holding only what the test put there.
    func params(_ scenario: String, fake: Bool = true, _ edit: (inout NvidiaStepParams) -> Void = { _ in }) throws -> NvidiaStepParams {
        let directory = NvidiaFixtures.directory(scenario)
        var params = NvidiaStepParams(
            nvidiaSmiPath: fake ? try NvidiaFixtures.installFakeSMI(scenario, in: temp, name: "fake-\(scenario)") : temp.file("missing-nvidia-smi"),
            searchPath: [temp.file("bin")], procRoot: directory, sysRoot: directory, toolkitConfigPath: temp.file("etc/config.toml")
        )
        edit(&params)
        return params
    }

    func step(_ params: NvidiaStepParams) throws -> NvidiaStep {
        try NvidiaStep(spec: StepSpec(kind: NvidiaStep.kind, name: "gpu ready", encoding: params))
    }

    func installToolkit() throws {
        let path = try temp.write("bin/nvidia-ctk", "#!/bin/sh\nexit 0\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }

    @Test("satisfied: apply and check report unchanged, again and again, and say what was found")
    func satisfied() async throws {
        try installToolkit()
        let step = try step(try params("h200") {
            $0.driver = .present
            $0.minDriverVersion = "535"
            $0.minCount = 1
            $0.containerToolkit = .present
        })
        for outcome in [await step.apply(in: context), await step.check(in: context), await step.apply(in: context)] {
            #expect(outcome.status == .unchanged)
            #expect(outcome.errorCode == nil)
            #expect(outcome.message?.contains("NVIDIA driver 590.48.01 (CUDA 13.1) answers for 1 GPU (NVIDIA H200)") == true)
            #expect(outcome.message?.contains("nvidia-ctk at \(temp.file("bin/nvidia-ctk"))") == true)
        }
    }

    @Test("driver 470 against minDriverVersion 535 fails nvidia.driver_too_old, in apply and in check")
    func driverTooOld() async throws {
        let step = try step(try params("t4-driver-470") { $0.minDriverVersion = "535" })
        for outcome in [await step.apply(in: context), await step.check(in: context)] {
            #expect(outcome.status == .failed)
            #expect(outcome.errorCode == .nvidiaDriverTooOld)
            #expect(outcome.message?.contains("NVIDIA driver 470.182.03 is older than the required 535") == true)
        }
    }

    @Test("CUDA 12.2 against minCudaVersion 12.4 fails nvidia.cuda_too_old; 12.2 passes")
    func cudaTooOld() async throws {
        let old = try await step(params("a100-mig") { $0.minCudaVersion = "12.4" }).apply(in: context)
        #expect(old.errorCode == .nvidiaCudaTooOld)
        #expect(old.message?.contains("CUDA 12.2") == true)
        let ok = try await step(params("a100-mig") { $0.minCudaVersion = "12.2" }).apply(in: context)
        #expect(ok.status == .unchanged)
    }

    @Test("driver 610 (KMD version, CUDA UMD Version): CUDA 13.3 is read and meets minCudaVersion 13.3, misses 13.4 as too old")
    func driver610() async throws {
        let ok = try await step(params("b200-driver-610") {
            $0.minCudaVersion = "13.3"
            $0.minDriverVersion = "610"
        }).apply(in: context)
        #expect(ok.status == .unchanged, "\(ok.message ?? "")")
        #expect(ok.message?.contains("NVIDIA driver 610.43.02 (CUDA 13.3) answers for 1 GPU (NVIDIA B200)") == true)
        let old = try await step(params("b200-driver-610") { $0.minCudaVersion = "13.4" }).apply(in: context)
        #expect(old.errorCode == .nvidiaCudaTooOld)
        #expect(old.message?.contains("supports CUDA 13.3, older than the required 13.4") == true)
    }

    @Test("a CUDA version nvidia-smi does not print is unknown (nvidia.cuda_unknown), never too old")
    func cudaUnknown() async throws {
        // An H200 whose --version and table name no CUDA version in any spelling this agent reads.
        let scenario = try TemporaryDirectory()
        try scenario.write("query-gpu.csv", try NvidiaFixtures.text("h200", "query-gpu.csv"))
        try scenario.write("version.txt", "NVIDIA-SMI version  : 590.48.01\nDRIVER version      : 590.48.01\nCUDA Runtime Flavour: 13.1\n")
        let smi = try temp.write("bin-fake/nvidia-smi", "#!/bin/sh\nexec /bin/sh '\(NvidiaFixtures.root)/fake-nvidia-smi.sh' '\(scenario.path)' \"$@\"\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: smi)
        let outcome = try await step(params("h200") {
            $0.nvidiaSmiPath = smi
            $0.minCudaVersion = "12.0"
        }).apply(in: context)
        #expect(outcome.status == .failed)
        #expect(outcome.errorCode == .nvidiaCudaUnknown)
        #expect(outcome.message?.contains("could not be read") == true)
        #expect(outcome.message?.contains("older") == false)
        // Without a minimum, an unknown CUDA version is no failure.
        let unasked = try await step(params("h200") { $0.nvidiaSmiPath = smi }).apply(in: context)
        #expect(unasked.status == .unchanged)
    }

    @Test("too few GPUs fails nvidia.gpu_count naming how many were found")
    func gpuCount() async throws {
        let outcome = try await step(params("h200") { $0.minCount = 2 }).apply(in: context)
        #expect(outcome.status == .failed)
        #expect(outcome.errorCode == .nvidiaGPUCount)
        #expect(outcome.message?.hasPrefix("found 1 GPU (NVIDIA H200); need at least 2") == true)
    }

    @Test("no container toolkit fails nvidia.toolkit_missing; its config file alone satisfies it")
    func toolkit() async throws {
        let missing = try await step(params("l40s") { $0.containerToolkit = .present }).apply(in: context)
        #expect(missing.status == .failed)
        #expect(missing.errorCode == .nvidiaToolkitMissing)
        #expect(missing.message?.contains("install nvidia-container-toolkit") == true)
        try temp.write("etc/config.toml", "[nvidia-container-cli]\n")
        let present = try await step(params("l40s") { $0.containerToolkit = .present }).apply(in: context)
        #expect(present.status == .unchanged)
        #expect(present.message?.contains("container toolkit: config \(temp.file("etc/config.toml"))") == true)
    }

    @Test("no nvidia-smi fails nvidia.driver_missing, saying the GPU is on the PCI bus")
    func driverMissing() async throws {
        let outcome = try await step(params("driver-not-loaded", fake: false)).apply(in: context)
        #expect(outcome.status == .failed)
        #expect(outcome.errorCode == .nvidiaDriverMissing)
        #expect(outcome.message?.contains("1 NVIDIA GPU on the PCI bus (10de:1e81)") == true)
        #expect(outcome.message?.contains("no nvidia kernel module is loaded") == true)
        #expect(outcome.message?.contains("install the NVIDIA driver") == true)
    }

    @Test("nvidia-smi failing fails nvidia.driver_error with its words")
    func driverError() async throws {
        let outcome = try await step(params("driver-not-loaded")).check(in: context)
        #expect(outcome.status == .failed)
        #expect(outcome.errorCode == .nvidiaDriverError)
        #expect(outcome.message?.contains("couldn't communicate with the NVIDIA driver") == true)
    }

    @Test("several failures: the first one's code, every message")
    func severalFailures() async throws {
        let outcome = try await step(params("t4-driver-470") {
            $0.minDriverVersion = "535"
            $0.minCount = 8
            $0.containerToolkit = .present
        }).apply(in: context)
        #expect(outcome.errorCode == .nvidiaDriverTooOld)
        #expect(outcome.message?.contains("need at least 8") == true)
        #expect(outcome.message?.contains("Container Toolkit is not installed") == true)
    }

    @Test("driver: any checks only the count, so a GPU without a driver passes minCount; driver: absent fails when one answers")
    func driverAnyAndAbsent() async throws {
        let any = try await step(params("driver-not-loaded", fake: false) { $0.driver = .any; $0.minCount = 1 }).apply(in: context)
        #expect(any.status == .unchanged)
        #expect(any.message?.contains("no NVIDIA driver answers; 1 NVIDIA GPU on the PCI bus") == true)
        let absent = try await step(params("l40s") { $0.driver = .absent }).apply(in: context)
        #expect(absent.errorCode == .nvidiaDriverPresent)
        let none = try await step(params("no-gpu", fake: false) { $0.driver = .absent }).apply(in: context)
        #expect(none.status == .unchanged)
    }

    @Test("parameters: versions may be numbers; unknown keys, bad versions and counts are refused")
    func parameters() async throws {
        let smi = try NvidiaFixtures.installFakeSMI("h200", in: temp)
        let directory = NvidiaFixtures.directory("h200")
        let spec = StepSpec(kind: NvidiaStep.kind, params: .object([
            "minDriverVersion": .number(600), "nvidiaSmiPath": .string(smi), "procRoot": .string(directory), "sysRoot": .string(directory),
        ]))
        let outcome = await (try NvidiaStep(spec: spec)).apply(in: context)
        #expect(outcome.errorCode == .nvidiaDriverTooOld)
        #expect(outcome.message?.contains("required 600") == true)

        for bad: JSONValue in [
            .object(["minDriverVerison": .string("535")]),
            .object(["minDriverVersion": .string("latest")]),
            .object(["minCount": .number(-1)]),
            .object(["driver": .string("maybe")]),
            .object(["driver": .string("absent"), "minDriverVersion": .string("535")]),
        ] {
            #expect(throws: ShoalError.self) { try NvidiaStep(spec: StepSpec(kind: NvidiaStep.kind, params: bad)) }
        }
        let typo = #expect(throws: ShoalError.self) { try NvidiaStep(spec: StepSpec(kind: NvidiaStep.kind, params: .object(["minDriverVerison": .string("535")]))) }
        #expect(typo?.code == .stepInvalid)
        #expect(typo?.message.contains("minDriverVerison") == true)
    }

    @Test("versions compare part by part as numbers")
    func versionComparison() {
        #expect(NvidiaStep.version("535.129.03", isAtLeast: "535"))
        #expect(NvidiaStep.version("550.54.14", isAtLeast: "550.54.14"))
        #expect(!NvidiaStep.version("550.54.14", isAtLeast: "550.90"))
        #expect(!NvidiaStep.version("470.182.03", isAtLeast: "535"))
        #expect(NvidiaStep.version("12.10", isAtLeast: "12.2"))
        #expect(!NvidiaStep.version(nil, isAtLeast: "1"))
    }
}
