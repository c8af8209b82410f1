import Foundation
import ShoalCore

/// Finds NVIDIA GPUs and their driver. In order of trust: `nvidia-smi --query-gpu` (with
/// `--version`, or the table header, for the CUDA version, and `-L` for MIG instances), the
/// loaded kernel module's /proc/driver/nvidia/version, and, when no driver answers, the PCI bus.
///
/// Every path is injectable so tests can point it at fixture trees and a fake nvidia-smi that
/// replays output captured on real GPUs.
public struct NvidiaDetector: Sendable {
    /// An explicit nvidia-smi (a path, or a name looked up on `searchPath`); nil looks up `nvidia-smi`.
    public var nvidiaSmiPath: String?
    public var searchPath: [String]
    /// Prefixes for /proc and /sys.
    public var procRoot: String
    public var sysRoot: String
    /// For each nvidia-smi run.
    public var timeout: Duration

    public init(nvidiaSmiPath: String? = nil, searchPath: [String]? = nil, procRoot: String = "", sysRoot: String = "", timeout: Duration = .seconds(10)) {
        self.nvidiaSmiPath = nvidiaSmiPath
        self.searchPath = searchPath ?? Self.defaultSearchPath()
        self.procRoot = procRoot
        self.sysRoot = sysRoot
        self.timeout = timeout
    }

    /// PATH, then where drivers put nvidia-smi when PATH (as under systemd) leaves them out:
    /// the GPU operator's /usr/local/nvidia/bin and WSL's /usr/lib/wsl/lib.
    public static func defaultSearchPath() -> [String] {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        var seen = Set<String>()
        return (path + ["/usr/bin", "/usr/local/bin", "/usr/sbin", "/usr/local/nvidia/bin", "/usr/lib/wsl/lib"]).filter { seen.insert($0).inserted }
    }

    /// The executable to run, or nil when there is none (no driver).
    public func resolveNvidiaSMI() -> String? {
        Self.findExecutable(nvidiaSmiPath ?? "nvidia-smi", searchPath: searchPath)
    }

    /// `name` itself when it holds a slash, else the first executable of that name on `searchPath`.
    public static func findExecutable(_ name: String, searchPath: [String]) -> String? {
        let fileManager = FileManager.default
        if name.contains("/") { return fileManager.isExecutableFile(atPath: name) ? name : nil }
        return searchPath.lazy.filter { !$0.isEmpty }.map { $0 + "/" + name }.first { path in
            var isDirectory: ObjCBool = false
            return fileManager.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue && fileManager.isExecutableFile(atPath: path)
        }
    }

    /// The raw text of /proc/driver/nvidia/version: present exactly while the module is loaded.
    public func kernelModuleText() -> String? {
        try? String(contentsOfFile: procRoot + "/proc/driver/nvidia/version", encoding: .utf8)
    }

    public func detect() async -> NvidiaDetection {
        let module = kernelModuleText().flatMap(NvidiaSMIParser.kernelModuleVersion)
        let scanner = NvidiaPCIScanner(sysRoot: sysRoot)
        guard let path = resolveNvidiaSMI() else {
            let name = nvidiaSmiPath ?? "nvidia-smi"
            let problem = name.contains("/") ? "\(name) does not exist or is not executable" : "\(name) not found in \(searchPath.joined(separator: ":"))"
            return offline(module: module, pci: scanner.gpuDevices(), smiPath: nil, problem: problem)
        }
        let smi = NvidiaSMI(path: path, timeout: timeout)
        let answer = await smi.query(NvidiaQueryFields.facts)
        guard let rows = answer.rows else {
            let failure = answer.failure ?? NvidiaSMI.Output(exitCode: nil, stdout: "", stderr: "", timedOut: false)
            let pci = scanner.gpuDevices()
            // The driver is there and answering; it just sees no GPU.
            if failure.text.contains("No devices were found"), pci.isEmpty {
                let info = NodeFacts.GPUInfo(driverLoaded: true, driverVersion: module, devices: [])
                return NvidiaDetection(nvidiaSMIPath: path, kernelModuleVersion: module, gpu: info, problem: nil)
            }
            return offline(module: module, pci: pci, smiPath: path, problem: failure.problem)
        }
        var devices = rows.enumerated().map { NvidiaQueryFields.device($1, position: $0) }
        var driver = rows.lazy.compactMap { $0["driver_version"] }.first
        var cuda: String?
        if let version = await smi.run(["--version"]), version.succeeded {
            cuda = NvidiaSMIParser.cudaVersion(version.stdout)
            driver = driver ?? NvidiaSMIParser.driverVersion(version.stdout)
        }
        // Drivers before --version existed (and some that print N/A there) still head the table with it.
        if cuda == nil, let table = await smi.run([]), table.succeeded {
            cuda = NvidiaSMIParser.cudaVersion(table.stdout)
            driver = driver ?? NvidiaSMIParser.driverVersion(table.stdout)
        }
        if devices.contains(where: { $0.migMode == "Enabled" }) {
            devices = await withMIGCounts(devices, smi: smi)
        }
        let info = NodeFacts.GPUInfo(driverLoaded: true, driverVersion: driver ?? module, cudaVersion: cuda, devices: devices)
        return NvidiaDetection(nvidiaSMIPath: path, kernelModuleVersion: module, gpu: info, problem: nil)
    }

    /// Load and health of each GPU. Pass back `unsupported` next time so an old driver is not
    /// asked for fields it refused before.
    public func sampleMetrics(knownUnsupported: Set<String> = []) async -> NvidiaMetricsSample {
        guard let path = resolveNvidiaSMI() else { return NvidiaMetricsSample(gpus: nil, unsupported: knownUnsupported) }
        let answer = await NvidiaSMI(path: path, timeout: timeout).query(NvidiaQueryFields.metrics, knownUnsupported: knownUnsupported)
        guard let rows = answer.rows else {
            let failure = answer.failure ?? NvidiaSMI.Output(exitCode: nil, stdout: "", stderr: "", timedOut: false)
            // A driver that sees no GPU: nothing to judge.
            if failure.text.contains("No devices were found") { return NvidiaMetricsSample(gpus: nil, unsupported: answer.unsupported) }
            return NvidiaMetricsSample(gpus: nil, unsupported: answer.unsupported, problem: failure.problem, gpuLost: NvidiaSMIParser.saysGPULost(failure.text))
        }
        let answered = rows.enumerated().map { NvidiaQueryFields.metrics($1, position: $0) }
        return NvidiaMetricsSample(gpus: answered + Self.unreachableGPUs(answer.unreachable, answered: answered), unsupported: answer.unsupported)
    }

    /// GPUs nvidia-smi could not reach, numbered as it numbers GPUs (in PCI bus order) where
    /// that number is free.
    static func unreachableGPUs(_ ids: [String], answered: [NodeMetrics.GPU]) -> [NodeMetrics.GPU] {
        let buses = (answered.compactMap(\.pciBusID) + ids).compactMap { NvidiaXIDEvent.busKey($0) }.sorted()
        var taken = Set(answered.map(\.index))
        return ids.map { id in
            var index = NvidiaXIDEvent.busKey(id).flatMap { buses.firstIndex(of: $0) } ?? 0
            while taken.contains(index) { index += 1 }
            taken.insert(index)
            var gpu = NodeMetrics.GPU(index: index)
            gpu.pciBusID = id
            gpu.fallenOffBus = true
            return gpu
        }
    }

    /// MIG instances per GPU from `nvidia-smi -L`, matched by UUID, else by index.
    private func withMIGCounts(_ devices: [NodeFacts.GPUDevice], smi: NvidiaSMI) async -> [NodeFacts.GPUDevice] {
        guard let list = await smi.run(["-L"]), list.succeeded else { return devices }
        let listed = NvidiaSMIParser.listedGPUs(list.stdout)
        return devices.map { device in
            guard device.migMode == "Enabled" else { return device }
            var device = device
            let match = listed.first { $0.uuid != nil && $0.uuid == device.uuid } ?? listed.first { $0.index == device.index }
            device.migDevices = match?.migDevices
            return device
        }
    }

    /// No answer from nvidia-smi: what the PCI bus and kernel module still say.
    private func offline(module: String?, pci: [NodeFacts.GPUDevice], smiPath: String?, problem: String) -> NvidiaDetection {
        guard !pci.isEmpty || module != nil else {
            return NvidiaDetection(nvidiaSMIPath: smiPath, kernelModuleVersion: nil, gpu: nil, problem: problem)
        }
        let info = NodeFacts.GPUInfo(driverLoaded: false, driverVersion: module, devices: pci, driverProblem: problem)
        return NvidiaDetection(nvidiaSMIPath: smiPath, kernelModuleVersion: module, gpu: info, problem: problem)
    }
}
