import Foundation
import ShoalCore

/// `nvidia`: checks that the NVIDIA driver (and optionally the container toolkit) is in place.
/// It changes nothing: apply and check both report `unchanged` when every requirement holds,
/// and `failed` with a stable `nvidia.*` code otherwise, saying what was found and what to do.
public struct NvidiaStep: Step {
    public static let kind = "nvidia"
    public static let defaultTimeout: Duration = .seconds(30)

    let params: NvidiaStepParams
    let name: String

    public init(spec: StepSpec) throws {
        let name = spec.displayName
        // A misspelt requirement would otherwise be ignored and the check pass.
        if case .object(let given) = spec.params {
            let known = Set(NvidiaStepParams.CodingKeys.allCases.map(\.stringValue))
            let unknown = given.keys.filter { !known.contains($0) }.sorted()
            if !unknown.isEmpty {
                throw ShoalError(.stepInvalid, "nvidia step '\(name)' has unknown parameters \(unknown.joined(separator: ", ")); known: \(known.sorted().joined(separator: ", "))")
            }
        }
        let params = try spec.decodeParams(NvidiaStepParams.self)
        for (key, version) in [("minDriverVersion", params.minDriverVersion), ("minCudaVersion", params.minCudaVersion)] {
            if let version, Self.components(version) == nil {
                throw ShoalError(.stepInvalid, "nvidia step '\(name)' has \(key) '\(version)'; it must be a version such as 535 or 535.129.03")
            }
        }
        if let count = params.minCount, count < 0 {
            throw ShoalError(.stepInvalid, "nvidia step '\(name)' has minCount \(count); it must be 0 or more")
        }
        if let timeout = params.timeoutSeconds, timeout <= 0 {
            throw ShoalError(.stepInvalid, "nvidia step '\(name)' has timeoutSeconds \(timeout); it must be positive")
        }
        if params.driver == .absent, params.minDriverVersion != nil || params.minCudaVersion != nil {
            throw ShoalError(.stepInvalid, "nvidia step '\(name)' asks for driver: absent and a minimum version at once; drop one")
        }
        self.params = params
        self.name = name
    }

    public func apply(in context: StepContext) async -> StepOutcome { await evaluate(context) }

    /// The same look as apply: nothing is changed either way.
    public func check(in context: StepContext) async -> StepOutcome { await evaluate(context) }

    func evaluate(_ context: StepContext) async -> StepOutcome {
        var timeout = params.timeoutSeconds.map { Duration.seconds($0) } ?? Self.defaultTimeout
        if let remaining = context.remaining { timeout = min(timeout, remaining) }
        let detector = NvidiaDetector(
            nvidiaSmiPath: params.nvidiaSmiPath, searchPath: params.searchPath,
            procRoot: params.procRoot ?? "", sysRoot: params.sysRoot ?? "", timeout: timeout
        )
        let detection = await detector.detect()
        if Task.isCancelled {
            return StepOutcome(status: .interrupted, errorCode: .taskCancelled, message: "cancelled while asking nvidia-smi")
        }
        let toolkit = NvidiaContainerToolkit(searchPath: params.searchPath, configPath: params.toolkitConfigPath ?? NvidiaContainerToolkit.defaultConfigPath)
        var failures = driverFailures(detection)
        if let minCount = params.minCount, detection.gpuCount < minCount {
            failures.append(ShoalError(.nvidiaGPUCount, "found \(Self.describeGPUs(detection)); need at least \(minCount): check the cards are seated and visible (lspci -d 10de:) and that nvidia-smi -L lists them"))
        }
        let toolkitFound = params.containerToolkit == nil ? nil : toolkit.find()
        switch params.containerToolkit {
        case .present? where toolkitFound == nil:
            failures.append(ShoalError(.nvidiaToolkitMissing, "the NVIDIA Container Toolkit is not installed (no \(NvidiaContainerToolkit.executables.joined(separator: " or ")) on the search path, no \(toolkit.configPath)): install nvidia-container-toolkit, then run 'nvidia-ctk runtime configure --runtime=docker' and restart Docker"))
        case .absent? where toolkitFound != nil:
            failures.append(ShoalError(.nvidiaToolkitPresent, "the NVIDIA Container Toolkit is installed (\(toolkitFound ?? "")) but this step requires it absent: remove nvidia-container-toolkit"))
        default: break
        }
        guard let first = failures.first else {
            return StepOutcome(status: .unchanged, message: summary(detection, toolkit: toolkitFound))
        }
        return StepOutcome(status: .failed, errorCode: first.code, message: failures.map(\.message).joined(separator: "; "))
    }

    private func driverFailures(_ detection: NvidiaDetection) -> [ShoalError] {
        switch params.driver ?? .present {
        case .any: break
        case .absent:
            if detection.driverLoaded {
                return [ShoalError(.nvidiaDriverPresent, "NVIDIA driver \(detection.gpu?.driverVersion ?? "(version unknown)") answers for \(Self.describeGPUs(detection)) but this step requires no driver: remove the driver packages and reboot")]
            }
        case .present:
            guard detection.driverLoaded else {
                let module = detection.kernelModuleVersion.map { "kernel module \($0) is loaded" } ?? "no nvidia kernel module is loaded"
                let problem = detection.problem ?? "nvidia-smi gave no answer"
                if detection.nvidiaSMIPath == nil {
                    return [ShoalError(.nvidiaDriverMissing, "no NVIDIA driver: \(problem); \(module); \(Self.describeGPUs(detection)): install the NVIDIA driver (e.g. an apt step with nvidia-driver-<version> or cuda-drivers) and reboot")]
                }
                return [ShoalError(.nvidiaDriverError, "the NVIDIA driver does not answer: \(problem); \(module); \(Self.describeGPUs(detection)): after a driver upgrade reboot (or reload the nvidia modules), and look for NVRM/Xid lines in the kernel log")]
            }
            var failures: [ShoalError] = []
            // A version nvidia-smi did not print (or printed in a form not understood) is
            // unknown, never "too old": an operator would otherwise reinstall a good driver.
            if let minimum = params.minDriverVersion {
                if let driver = detection.gpu?.driverVersion, NvidiaStep.components(driver) != nil {
                    if !Self.version(driver, isAtLeast: minimum) {
                        failures.append(ShoalError(.nvidiaDriverTooOld, "NVIDIA driver \(driver) is older than the required \(minimum): install a newer driver and reboot"))
                    }
                } else {
                    failures.append(ShoalError(.nvidiaDriverVersionUnknown, "the NVIDIA driver answers but its version could not be read (\(detection.gpu?.driverVersion ?? "not printed")), so minDriverVersion \(minimum) cannot be checked: compare 'nvidia-smi --version' by hand and report its output"))
                }
            }
            if let minimum = params.minCudaVersion {
                if let cuda = detection.gpu?.cudaVersion, NvidiaStep.components(cuda) != nil {
                    if !Self.version(cuda, isAtLeast: minimum) {
                        failures.append(ShoalError(.nvidiaCudaTooOld, "the NVIDIA driver supports CUDA \(cuda), older than the required \(minimum): install a newer driver and reboot"))
                    }
                } else {
                    failures.append(ShoalError(.nvidiaCudaUnknown, "the NVIDIA driver \(detection.gpu?.driverVersion ?? "(version unknown)") answers but the CUDA version it supports could not be read (neither 'CUDA Version' nor 'CUDA UMD Version' in nvidia-smi --version or its table), so minCudaVersion \(minimum) cannot be checked: look at 'nvidia-smi --version' by hand and report its output"))
                }
            }
            return failures
        }
        return []
    }

    private func summary(_ detection: NvidiaDetection, toolkit: String?) -> String {
        var parts: [String] = []
        if let gpu = detection.gpu, gpu.driverLoaded {
            let cuda = gpu.cudaVersion.map { " (CUDA \($0))" } ?? ""
            parts.append("NVIDIA driver \(gpu.driverVersion ?? "(version unknown)")\(cuda) answers for \(Self.describeGPUs(detection))")
        } else {
            parts.append("no NVIDIA driver answers; \(Self.describeGPUs(detection))")
        }
        if let toolkit { parts.append("container toolkit: \(toolkit)") }
        else if params.containerToolkit == .absent { parts.append("no container toolkit") }
        return parts.joined(separator: "; ")
    }

    /// `2 GPUs (NVIDIA H200)`, or `1 NVIDIA GPU on the PCI bus (10de:1e81)` when no driver names them.
    static func describeGPUs(_ detection: NvidiaDetection) -> String {
        let devices = detection.gpu?.devices ?? []
        guard !devices.isEmpty else { return "no NVIDIA GPU on the PCI bus" }
        let noun = devices.count == 1 ? "GPU" : "GPUs"
        if detection.driverLoaded {
            let models = Array(Set(devices.compactMap(\.model))).sorted()
            return "\(devices.count) \(noun)" + (models.isEmpty ? "" : " (\(models.joined(separator: ", ")))")
        }
        let ids = Array(Set(devices.compactMap(\.pciDeviceID))).sorted()
        return "\(devices.count) NVIDIA \(noun) on the PCI bus" + (ids.isEmpty ? "" : " (\(ids.joined(separator: ", ")))")
    }

    /// Dotted versions compared part by part as numbers, missing parts as 0: 535.129.03 >= 535.
    public static func version(_ actual: String?, isAtLeast minimum: String) -> Bool {
        guard let actual, let have = components(actual), let need = components(minimum) else { return false }
        for position in 0..<max(have.count, need.count) {
            let left = position < have.count ? have[position] : 0
            let right = position < need.count ? need[position] : 0
            if left != right { return left > right }
        }
        return true
    }

    static func components(_ version: String) -> [Int]? {
        let parts = version.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        guard !parts.isEmpty, !parts.contains(nil) else { return nil }
        return parts.compactMap { $0 }
    }
}

/// Parameters of the `nvidia` step. Versions may be written as strings or numbers (`535`, `12.2`).
public struct NvidiaStepParams: Codable, Sendable, Equatable {
    public enum Requirement: String, Codable, Sendable {
        case present, absent
        /// Driver only: no requirement (to check just `minCount` or the toolkit).
        case any
    }

    /// `present` (the default), `absent` or `any`.
    public var driver: Requirement?
    public var minDriverVersion: String?
    public var minCudaVersion: String?
    public var minCount: Int?
    /// `present` or `absent`; not checked when left out.
    public var containerToolkit: Requirement?
    /// Where to look, for tests and unusual installs: an nvidia-smi path, the directories
    /// searched for nvidia-smi and the toolkit, roots for /proc and /sys, the toolkit config.
    public var nvidiaSmiPath: String?
    public var searchPath: [String]?
    public var procRoot: String?
    public var sysRoot: String?
    public var toolkitConfigPath: String?
    public var timeoutSeconds: Int?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case driver, minDriverVersion, minCudaVersion, minCount, containerToolkit
        case nvidiaSmiPath, searchPath, procRoot, sysRoot, toolkitConfigPath, timeoutSeconds
    }

    public init(
        driver: Requirement? = nil, minDriverVersion: String? = nil, minCudaVersion: String? = nil, minCount: Int? = nil,
        containerToolkit: Requirement? = nil, nvidiaSmiPath: String? = nil, searchPath: [String]? = nil,
        procRoot: String? = nil, sysRoot: String? = nil, toolkitConfigPath: String? = nil, timeoutSeconds: Int? = nil
    ) {
        self.driver = driver
        self.minDriverVersion = minDriverVersion
        self.minCudaVersion = minCudaVersion
        self.minCount = minCount
        self.containerToolkit = containerToolkit
        self.nvidiaSmiPath = nvidiaSmiPath
        self.searchPath = searchPath
        self.procRoot = procRoot
        self.sysRoot = sysRoot
        self.toolkitConfigPath = toolkitConfigPath
        self.timeoutSeconds = timeoutSeconds
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        driver = try container.decodeIfPresent(Requirement.self, forKey: .driver)
        minDriverVersion = try Self.versionText(container, .minDriverVersion)
        minCudaVersion = try Self.versionText(container, .minCudaVersion)
        minCount = try container.decodeIfPresent(Int.self, forKey: .minCount)
        containerToolkit = try container.decodeIfPresent(Requirement.self, forKey: .containerToolkit)
        nvidiaSmiPath = try container.decodeIfPresent(String.self, forKey: .nvidiaSmiPath)
        searchPath = try container.decodeIfPresent([String].self, forKey: .searchPath)
        procRoot = try container.decodeIfPresent(String.self, forKey: .procRoot)
        sysRoot = try container.decodeIfPresent(String.self, forKey: .sysRoot)
        toolkitConfigPath = try container.decodeIfPresent(String.self, forKey: .toolkitConfigPath)
        timeoutSeconds = try container.decodeIfPresent(Int.self, forKey: .timeoutSeconds)
    }

    /// YAML turns `minDriverVersion: 535` into a number; a version is text either way.
    private static func versionText(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> String? {
        if let text = try? container.decodeIfPresent(String.self, forKey: key) { return text }
        guard let number = try container.decodeIfPresent(Double.self, forKey: key) else { return nil }
        return number == number.rounded() ? String(Int(number)) : String(number)
    }
}
