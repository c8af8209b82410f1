import Foundation
import ShoalCore

/// The `--query-gpu` fields the agent asks for, and how a row of them becomes a fact or a
/// metric. Facts ask only for what stays put, so they do not change from one heartbeat to the next.
public enum NvidiaQueryFields {
    public static let facts = [
        "index", "name", "uuid", "pci.bus_id", "pci.device_id", "memory.total", "driver_version",
        "compute_cap", "mig.mode.current",
    ]

    /// Fields an older driver refuses (`compute_cap` before 510, `remapped_rows.*` before 460)
    /// are dropped and the query repeated, so they come out absent rather than failing it all.
    public static let metrics = [
        "index", "uuid", "utilization.gpu", "utilization.memory", "memory.used", "memory.total",
        "temperature.gpu", "power.draw", "power.limit",
        "ecc.errors.corrected.volatile.total", "ecc.errors.uncorrected.volatile.total",
        "retired_pages.single_bit_ecc.count", "retired_pages.double_bit.count", "retired_pages.pending",
        "remapped_rows.correctable", "remapped_rows.uncorrectable", "remapped_rows.pending", "remapped_rows.failure",
        "pci.bus_id", "ecc.errors.corrected.aggregate.total", "ecc.errors.uncorrected.aggregate.total",
        "clocks.sm", "clocks.mem", "clocks_throttle_reasons.active",
    ]

    /// NVML's clock event ("throttle") reason bits (nvml.h, `nvmlClocksEventReason*`), as
    /// `clocks_throttle_reasons.active` reports them; the name is NVML's, as nvidia-smi spells
    /// the per-reason query fields (`clocks_event_reasons.hw_slowdown`).
    public static let throttleReasonBits: [(bit: UInt64, name: String)] = [
        (0x1, "gpu_idle"), (0x2, "applications_clocks_setting"), (0x4, "sw_power_cap"), (0x8, "hw_slowdown"),
        (0x10, "sync_boost"), (0x20, "sw_thermal_slowdown"), (0x40, "hw_thermal_slowdown"),
        (0x80, "hw_power_brake_slowdown"), (0x100, "display_clock_setting"),
    ]

    /// Without these a row says nothing useful, so they are never dropped.
    static let essential: Set<String> = ["index"]

    /// One GPU's facts from a row; `position` stands in for a missing index.
    public static func device(_ row: [String: String], position: Int) -> NodeFacts.GPUDevice {
        NodeFacts.GPUDevice(
            index: row["index"].flatMap { Int($0) } ?? position,
            model: row["name"],
            uuid: row["uuid"],
            memoryMiB: NvidiaSMIParser.integer(row["memory.total"]),
            computeCapability: row["compute_cap"],
            migMode: row["mig.mode.current"],
            pciBusID: row["pci.bus_id"],
            pciDeviceID: row["pci.device_id"].flatMap(pciID)
        )
    }

    /// One GPU's load and health from a row.
    public static func metrics(_ row: [String: String], position: Int) -> NodeMetrics.GPU {
        var gpu = NodeMetrics.GPU(index: row["index"].flatMap { Int($0) } ?? position, uuid: row["uuid"])
        gpu.utilizationPercent = NvidiaSMIParser.number(row["utilization.gpu"])
        gpu.memoryUtilizationPercent = NvidiaSMIParser.number(row["utilization.memory"])
        gpu.memoryUsedMiB = NvidiaSMIParser.integer(row["memory.used"])
        gpu.memoryTotalMiB = NvidiaSMIParser.integer(row["memory.total"])
        gpu.temperatureC = NvidiaSMIParser.number(row["temperature.gpu"])
        gpu.powerDrawW = NvidiaSMIParser.number(row["power.draw"])
        gpu.powerLimitW = NvidiaSMIParser.number(row["power.limit"])
        gpu.eccCorrectedVolatile = NvidiaSMIParser.integer(row["ecc.errors.corrected.volatile.total"])
        gpu.eccUncorrectedVolatile = NvidiaSMIParser.integer(row["ecc.errors.uncorrected.volatile.total"])
        gpu.retiredPagesSingleBit = NvidiaSMIParser.integer(row["retired_pages.single_bit_ecc.count"])
        gpu.retiredPagesDoubleBit = NvidiaSMIParser.integer(row["retired_pages.double_bit.count"])
        gpu.retiredPagesPending = NvidiaSMIParser.flag(row["retired_pages.pending"])
        gpu.remappedRowsCorrectable = NvidiaSMIParser.integer(row["remapped_rows.correctable"])
        gpu.remappedRowsUncorrectable = NvidiaSMIParser.integer(row["remapped_rows.uncorrectable"])
        gpu.remappedRowsPending = NvidiaSMIParser.flag(row["remapped_rows.pending"])
        gpu.remappedRowsFailure = NvidiaSMIParser.flag(row["remapped_rows.failure"])
        gpu.pciBusID = row["pci.bus_id"]
        gpu.eccCorrectedAggregate = NvidiaSMIParser.integer(row["ecc.errors.corrected.aggregate.total"])
        gpu.eccUncorrectedAggregate = NvidiaSMIParser.integer(row["ecc.errors.uncorrected.aggregate.total"])
        gpu.clockSMMHz = NvidiaSMIParser.number(row["clocks.sm"])
        gpu.clockMemoryMHz = NvidiaSMIParser.number(row["clocks.mem"])
        gpu.throttleReasons = row["clocks_throttle_reasons.active"].flatMap(throttleReasons)
        return gpu
    }

    /// `0x0000000000000048` -> `["hw_slowdown", "hw_thermal_slowdown"]`; nil when not a bitmask.
    public static func throttleReasons(_ mask: String) -> [String]? {
        let hex = mask.lowercased().hasPrefix("0x") ? mask.dropFirst(2) : Substring(mask)
        guard !hex.isEmpty, let bits = UInt64(hex, radix: 16) else { return nil }
        return throttleReasonBits.filter { bits & $0.bit != 0 }.map(\.name)
    }

    /// nvidia-smi's `pci.device_id` is `0x233510DE`: device id high, vendor id low. As `10de:2335`,
    /// the form lspci and /sys use.
    static func pciID(_ raw: String) -> String? {
        let hex = raw.lowercased().hasPrefix("0x") ? raw.dropFirst(2) : Substring(raw)
        guard let value = UInt32(hex, radix: 16) else { return nil }
        return String(format: "%04x:%04x", value & 0xFFFF, value >> 16)
    }
}
