import ShoalCore

/// Codes the `nvidia` step fails with, documented in docs/steps/nvidia.md.
extension ShoalError.Code {
    /// No driver answers: nvidia-smi is missing, or the kernel module is not loaded.
    public static let nvidiaDriverMissing: Self = "nvidia.driver_missing"
    /// nvidia-smi is there but fails (driver/library mismatch after an upgrade, GPU fallen off the bus).
    public static let nvidiaDriverError: Self = "nvidia.driver_error"
    /// A driver answers where `driver: absent` was asked for.
    public static let nvidiaDriverPresent: Self = "nvidia.driver_present"
    public static let nvidiaDriverTooOld: Self = "nvidia.driver_too_old"
    public static let nvidiaCudaTooOld: Self = "nvidia.cuda_too_old"
    /// The driver answers but printed no CUDA version this agent can read, and the step asks for a minimum.
    public static let nvidiaCudaUnknown: Self = "nvidia.cuda_unknown"
    /// The driver answers but printed no driver version this agent can read, and the step asks for a minimum.
    public static let nvidiaDriverVersionUnknown: Self = "nvidia.driver_version_unknown"
    public static let nvidiaGPUCount: Self = "nvidia.gpu_count"
    public static let nvidiaToolkitMissing: Self = "nvidia.toolkit_missing"
    public static let nvidiaToolkitPresent: Self = "nvidia.toolkit_present"
}
