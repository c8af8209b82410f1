import ShoalCore

/// What `NvidiaDetector` found on a node.
public struct NvidiaDetection: Sendable, Equatable {
    /// The nvidia-smi that was run; nil when none was found (that is "no driver", not an error).
    public var nvidiaSMIPath: String?
    /// From /proc/driver/nvidia/version: set whenever the kernel module is loaded.
    public var kernelModuleVersion: String?
    /// The GPUs and driver as facts; nil when there is neither an NVIDIA device nor a driver.
    public var gpu: NodeFacts.GPUInfo?
    /// Why nvidia-smi gave no answer (missing, failed, timed out); nil when it answered.
    public var problem: String?

    public init(nvidiaSMIPath: String?, kernelModuleVersion: String?, gpu: NodeFacts.GPUInfo?, problem: String?) {
        self.nvidiaSMIPath = nvidiaSMIPath
        self.kernelModuleVersion = kernelModuleVersion
        self.gpu = gpu
        self.problem = problem
    }

    /// True when nvidia-smi answered for the driver.
    public var driverLoaded: Bool { gpu?.driverLoaded ?? false }
    public var gpuCount: Int { gpu?.devices.count ?? 0 }
}
