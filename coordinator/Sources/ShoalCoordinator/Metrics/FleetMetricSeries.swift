import ShoalCore

/// The per-node and per-GPU series of a scrape, read from each node's latest heartbeat.
/// Prometheus naming: base units (bytes, celsius, watts, hertz, seconds), `_ratio` for 0..1,
/// `_total` for counters. Labels: `node` and `hostname`, and `gpu` (the index nvidia-smi
/// gives) for GPUs; user labels live on `shoal_node_labels` only (docs/operations.md).
enum FleetMetricSeries {
    private static let mebibyte = 1_048_576.0

    static let node: [MetricSeries<NodeMetrics>] = [
        .gauge("shoal_node_cpu_utilization_ratio", "Share of CPU time busy over the last heartbeat interval, 0 to 1.") { $0.cpuPercent / 100 },
        .gauge("shoal_node_load1", "1-minute load average.") { $0.load1 },
        .gauge("shoal_node_load5", "5-minute load average.") { $0.load5 },
        .gauge("shoal_node_load15", "15-minute load average.") { $0.load15 },
        .gauge("shoal_node_memory_total_bytes", "Memory installed, as the kernel reports it.") { Double($0.memoryTotalBytes) },
        .gauge("shoal_node_memory_used_bytes", "Memory in use (total less available).") { Double($0.memoryUsedBytes) },
        .gauge("shoal_node_root_disk_total_bytes", "Size of the root file system.") { Double($0.rootDiskTotalBytes) },
        .gauge("shoal_node_root_disk_used_bytes", "Space used on the root file system.") { Double($0.rootDiskUsedBytes) },
        .gauge("shoal_node_gpus", "NVIDIA GPUs nvidia-smi reports (absent when no driver answers).") { $0.gpus.map { Double($0.count) } },
        .stateSet("shoal_node_gpu_health", "The node's GPU health, its worst GPU's: 1 for the current state.", label: "state", states: GPUHealthState.allCases.map(\.rawValue)) { $0.gpuHealthState?.rawValue },
    ]

    /// One row per series (docs/gpu-health.md says what the health states mean).
    static let gpu: [MetricSeries<NodeMetrics.GPU>] = [
        .gauge("shoal_gpu_utilization_ratio", "Share of time a kernel ran on the GPU, 0 to 1.") { $0.utilizationPercent.map { $0 / 100 } },
        .gauge("shoal_gpu_memory_utilization_ratio", "Share of time GPU memory was read or written, 0 to 1.") { $0.memoryUtilizationPercent.map { $0 / 100 } },
        .gauge("shoal_gpu_memory_used_bytes", "GPU memory allocated.") { $0.memoryUsedMiB.map { Double($0) * mebibyte } },
        .gauge("shoal_gpu_memory_total_bytes", "GPU memory installed.") { $0.memoryTotalMiB.map { Double($0) * mebibyte } },
        .gauge("shoal_gpu_temperature_celsius", "GPU core temperature.") { $0.temperatureC },
        .gauge("shoal_gpu_power_draw_watts", "Power the board draws.") { $0.powerDrawW },
        .gauge("shoal_gpu_power_limit_watts", "Power limit the driver enforces.") { $0.powerLimitW },
        .counter("shoal_gpu_ecc_corrected_errors_total", "Corrected (single-bit) ECC errors since the driver loaded.") { $0.eccCorrectedVolatile },
        .counter("shoal_gpu_ecc_uncorrected_errors_total", "Uncorrected (double-bit) ECC errors since the driver loaded.") { $0.eccUncorrectedVolatile },
        .gauge("shoal_gpu_retired_pages_single_bit", "Memory pages retired for single-bit ECC errors (pre-Ampere data-centre GPUs).") { $0.retiredPagesSingleBit.map { Double($0) } },
        .gauge("shoal_gpu_retired_pages_double_bit", "Memory pages retired for double-bit ECC errors (pre-Ampere data-centre GPUs).") { $0.retiredPagesDoubleBit.map { Double($0) } },
        .flag("shoal_gpu_retired_pages_pending", "1 when a page retirement waits for the next driver reload.") { $0.retiredPagesPending },
        .gauge("shoal_gpu_remapped_rows_correctable", "Memory rows remapped for correctable errors (Ampere and later).") { $0.remappedRowsCorrectable.map { Double($0) } },
        .gauge("shoal_gpu_remapped_rows_uncorrectable", "Memory rows remapped for uncorrectable errors (Ampere and later).") { $0.remappedRowsUncorrectable.map { Double($0) } },
        .flag("shoal_gpu_remapped_rows_pending", "1 when a row remap waits for a GPU reset.") { $0.remappedRowsPending },
        .flag("shoal_gpu_remapped_rows_failure", "1 when a row remap failed: the GPU needs service.") { $0.remappedRowsFailure },
        .counter("shoal_gpu_ecc_corrected_errors_lifetime_total", "Corrected ECC errors over the GPU's life.") { $0.eccCorrectedAggregate },
        .counter("shoal_gpu_ecc_uncorrected_errors_lifetime_total", "Uncorrected ECC errors over the GPU's life.") { $0.eccUncorrectedAggregate },
        .counter("shoal_gpu_xid_errors_total", "XID events for this GPU in the kernel log since boot.") { $0.xidCount },
        .gauge("shoal_gpu_sm_clock_hertz", "Streaming multiprocessor clock.") { $0.clockSMMHz.map { $0 * 1e6 } },
        .gauge("shoal_gpu_memory_clock_hertz", "Memory clock.") { $0.clockMemoryMHz.map { $0 * 1e6 } },
        .flag("shoal_gpu_fallen_off_bus", "1 when the driver lost the GPU (fallen off the bus).") { $0.fallenOffBus },
        .stateSet("shoal_gpu_health", "The GPU's health: 1 for its current state (ok, degraded, failed).", label: "state", states: GPUHealthState.allCases.map(\.rawValue)) { $0.healthState?.rawValue },
    ]
}
