import Foundation
import ShoalAgent
import ShoalCore
import Testing

@Suite("nvidia-smi parsers")
struct NvidiaSMIParserTests {
    func devices(_ scenario: String) throws -> [NodeFacts.GPUDevice] {
        try NvidiaFixtures.rows(scenario).enumerated().map { NvidiaQueryFields.device($1, position: $0) }
    }

    func metrics(_ scenario: String) throws -> [NodeMetrics.GPU] {
        try NvidiaFixtures.rows(scenario).enumerated().map { NvidiaQueryFields.metrics($1, position: $0) }
    }

    @Test("[N/A], N/A, [Not Supported], other bracketed notes and empty values are absent; 0 is 0")
    func absentValues() {
        for raw in ["[N/A]", "N/A", " [Not Supported] ", "Not Supported", "", "  ", "[Requested functionality has been deprecated]", "[Unknown Error]"] {
            #expect(NvidiaSMIParser.value(raw) == nil, "\(raw)")
        }
        #expect(NvidiaSMIParser.value(" 0 ") == "0")
        #expect(NvidiaSMIParser.integer(NvidiaSMIParser.value("0")) == 0)
        #expect(NvidiaSMIParser.number("46068 MiB") == 46068)
        #expect(NvidiaSMIParser.number("39.32 W") == 39.32)
        #expect(NvidiaSMIParser.number("9 %") == 9)
        #expect(NvidiaSMIParser.number(nil) == nil)
        #expect(NvidiaSMIParser.flag("No") == false)
        #expect(NvidiaSMIParser.flag("Yes") == true)
        #expect(NvidiaSMIParser.flag("[N/A]") == nil)
    }

    @Test("GeForce RTX 2080 SUPER: facts read, ECC and retirement absent (not zero), MIG absent")
    func geforce() throws {
        let device = try #require(try devices("rtx-2080-super").first)
        #expect(device == NodeFacts.GPUDevice(
            index: 0, model: "NVIDIA GeForce RTX 2080 SUPER", uuid: "GPU-3b1c6a0e-5f2d-4c8e-9a71-2d4e6f8a0b1c", memoryMiB: 8192,
            computeCapability: "7.5", migMode: nil, pciBusID: "00000000:0C:00.0", pciDeviceID: "10de:1e81"
        ))
        let gpu = try #require(try metrics("rtx-2080-super").first)
        #expect(gpu.utilizationPercent == 8)
        #expect(gpu.memoryUsedMiB == 819)
        #expect(gpu.temperatureC == 45)
        #expect(gpu.powerDrawW == 111.5)
        #expect(gpu.powerLimitW == 250)
        #expect(gpu.eccCorrectedVolatile == nil)
        #expect(gpu.eccUncorrectedVolatile == nil)
        #expect(gpu.retiredPagesSingleBit == nil)
        #expect(gpu.retiredPagesPending == nil)
        #expect(gpu.remappedRowsCorrectable == nil)
        #expect(gpu.remappedRowsFailure == nil)
    }

    @Test("H200: MIG disabled, ECC and remapped rows are real zeros, retired pages absent")
    func h200() throws {
        let device = try #require(try devices("h200").first)
        #expect(device.model == "NVIDIA H200")
        #expect(device.memoryMiB == 143_771)
        #expect(device.computeCapability == "9.0")
        #expect(device.migMode == "Disabled")
        #expect(device.pciDeviceID == "10de:2335")
        let gpu = try #require(try metrics("h200").first)
        #expect(gpu.utilizationPercent == 100)
        #expect(gpu.memoryUsedMiB == 32362)
        #expect(gpu.memoryTotalMiB == 143_771)
        #expect(gpu.powerDrawW == 627.4)
        #expect(gpu.eccCorrectedVolatile == 0)
        #expect(gpu.eccUncorrectedVolatile == 0)
        #expect(gpu.remappedRowsCorrectable == 0)
        #expect(gpu.remappedRowsPending == false)
        #expect(gpu.remappedRowsFailure == false)
        #expect(gpu.retiredPagesSingleBit == nil)
        #expect(gpu.retiredPagesDoubleBit == nil)
    }

    @Test("L40S: compute capability 8.9, MIG absent, ECC zero")
    func l40s() throws {
        let device = try #require(try devices("l40s").first)
        #expect(device.model == "NVIDIA L40S")
        #expect(device.memoryMiB == 46068)
        #expect(device.computeCapability == "8.9")
        #expect(device.migMode == nil)
        #expect(device.pciBusID == "00000000:01:00.0")
        let gpu = try #require(try metrics("l40s").first)
        #expect(gpu.utilizationPercent == 9)
        #expect(gpu.temperatureC == 54)
        #expect(gpu.powerDrawW == 110.23)
        #expect(gpu.eccUncorrectedVolatile == 0)
    }

    @Test("two A100s: the MIG-enabled one has no utilisation; counters of the other are read")
    func a100MIG() throws {
        let devices = try devices("a100-mig")
        #expect(devices.map(\.index) == [0, 1])
        #expect(devices.map(\.migMode) == ["Enabled", "Disabled"])
        #expect(devices.allSatisfy { $0.memoryMiB == 81920 && $0.computeCapability == "8.0" })
        let gpus = try metrics("a100-mig")
        #expect(gpus[0].utilizationPercent == nil)
        #expect(gpus[0].memoryUtilizationPercent == nil)
        #expect(gpus[0].memoryUsedMiB == 12)
        #expect(gpus[1].utilizationPercent == 87)
        #expect(gpus[1].eccCorrectedVolatile == 3)
        #expect(gpus[1].remappedRowsCorrectable == 2)
    }

    @Test("four T4s on driver 470: no compute capability column, retired pages counted")
    func t4() throws {
        let devices = try devices("t4-driver-470")
        #expect(devices.count == 4)
        #expect(devices.allSatisfy { $0.computeCapability == nil && $0.model == "Tesla T4" })
        let gpus = try metrics("t4-driver-470")
        #expect(gpus.map(\.retiredPagesSingleBit) == [0, 0, 2, 0])
        #expect(gpus.allSatisfy { $0.retiredPagesPending == false && $0.remappedRowsCorrectable == nil })
    }

    @Test("rows without a header map by the requested fields; a line with the wrong column count is skipped")
    func noHeaderRows() {
        let text = "0, NVIDIA H200, [N/A]\n1, NVIDIA H200\n\n2, NVIDIA H200, 143771\n"
        let rows = NvidiaSMIParser.queryRows(text, fields: ["index", "name", "memory.total"])
        #expect(rows == [["index": "0", "name": "NVIDIA H200"], ["index": "2", "name": "NVIDIA H200", "memory.total": "143771"]])
    }

    @Test("the loaded kernel module's version, proprietary and open modules")
    func kernelModule() throws {
        #expect(NvidiaSMIParser.kernelModuleVersion(try NvidiaFixtures.text("a100-mig", "proc/driver/nvidia/version")) == "535.129.03")
        #expect(NvidiaSMIParser.kernelModuleVersion(try NvidiaFixtures.text("h200", "proc/driver/nvidia/version")) == "590.48.01")
        #expect(NvidiaSMIParser.kernelModuleVersion("GCC version: 12\n") == nil)
    }

    @Test("CUDA and driver versions from --version and from the summary table")
    func versions() throws {
        let version = try NvidiaFixtures.text("l40s", "version.txt")
        #expect(NvidiaSMIParser.cudaVersion(version) == "13.2")
        #expect(NvidiaSMIParser.driverVersion(version) == "595.80")
        let table = try NvidiaFixtures.text("t4-driver-470", "table.txt")
        #expect(NvidiaSMIParser.cudaVersion(table) == "11.4")
        #expect(NvidiaSMIParser.driverVersion(table) == "470.182.03")
        #expect(NvidiaSMIParser.cudaVersion("| NVIDIA-SMI 535.54   Driver Version: 535.54   CUDA Version: N/A |") == nil)
    }

    @Test("driver 610 and later: KMD version and CUDA UMD Version, in --version and in the table header")
    func driver610Versions() throws {
        let version = try NvidiaFixtures.text("b200-driver-610", "version.txt")
        #expect(!version.contains("CUDA Version"))
        #expect(NvidiaSMIParser.cudaVersion(version) == "13.3")
        #expect(NvidiaSMIParser.driverVersion(version) == "610.43.02")
        let table = try NvidiaFixtures.text("b200-driver-610", "table.txt")
        #expect(NvidiaSMIParser.cudaVersion(table) == "13.3")
        #expect(NvidiaSMIParser.driverVersion(table) == "610.43.02")
        // The older spelling still reads, and N/A under the new one is still absent.
        #expect(NvidiaSMIParser.cudaVersion(try NvidiaFixtures.text("h200", "version.txt")) == "13.1")
        #expect(NvidiaSMIParser.cudaVersion("| NVIDIA-SMI 610.43.02   KMD Version: 610.43.02   CUDA UMD Version: N/A |") == nil)
    }

    @Test("health figures: aggregate ECC, clocks, clock event reasons decoded from the active bitmask, PCI bus id")
    func healthFields() throws {
        let h200 = try #require(try metrics("h200").first)
        #expect(h200.pciBusID == "00000000:83:00.0")
        #expect(h200.eccUncorrectedAggregate == 0)
        #expect(h200.clockSMMHz == 345)
        #expect(h200.clockMemoryMHz == 3201)
        #expect(h200.throttleReasons == ["gpu_idle"])
        let rtx = try #require(try metrics("rtx-2080-super").first)
        #expect(rtx.eccCorrectedAggregate == nil)
        #expect(rtx.throttleReasons == ["sw_power_cap"])
        let throttled = try #require(try metrics("l40s-throttled").first)
        #expect(throttled.throttleReasons == ["hw_slowdown", "sw_thermal_slowdown", "hw_thermal_slowdown"])
        let ecc = try #require(try metrics("h200-ecc-remap").first)
        #expect(ecc.eccUncorrectedVolatile == 2)
        #expect(ecc.eccCorrectedAggregate == 30)
        #expect(ecc.remappedRowsPending == true)
        #expect(NvidiaQueryFields.throttleReasons("0x0000000000000000") == [])
        #expect(NvidiaQueryFields.throttleReasons("Active") == nil)
    }

    @Test("GPUs nvidia-smi cannot reach are named by PCI bus id; 'GPU is lost' and 'fallen off the bus' are told apart from other failures")
    func unreachable() throws {
        let error = try NvidiaFixtures.text("h200x2-xid-lost", "query-error.txt")
        #expect(NvidiaSMIParser.unreachableGPUs(error) == ["0000:84:00.0"])
        #expect(NvidiaSMIParser.unreachableGPUs("Unable to determine the device handle for gpu 0000:3B:00.0: Unknown Error") == ["0000:3B:00.0"])
        #expect(NvidiaSMIParser.saysGPULost(error))
        #expect(NvidiaSMIParser.saysGPULost("Unable to determine the device handle for GPU 0000:3B:00.0: GPU has fallen off the bus."))
        #expect(!NvidiaSMIParser.saysGPULost(try NvidiaFixtures.text("driver-not-loaded", "error.txt")))
    }

    @Test("kernel-log XIDs: bus and code from dmesg and journalctl lines, old and new spellings; other lines ignored")
    func xidLines() throws {
        let events = NvidiaXIDEvent.events(in: try NvidiaFixtures.text("h200x2-xid-lost", "dmesg.txt"))
        #expect(events == [.init(bus: "0000:83:00", code: 13), .init(bus: "0000:83:00", code: 45), .init(bus: "0000:84:00", code: 79)])
        #expect(NvidiaXIDEvent.events(in: "NVRM: Xid (0000:3B:00): 48, An uncorrectable double bit error") == [.init(bus: "0000:3b:00", code: 48)])
        #expect(NvidiaXIDEvent.events(in: "NVRM: Xid (PCI:0000:3b:00): oops\nNVRM: GPU at PCI:0000:3b:00") == [])
        #expect(NvidiaXIDEvent.busKey("00000000:84:00.0") == "0000:84:00")
        #expect(NvidiaXIDEvent.busKey("0000:84:00") == "0000:84:00")
        #expect(NvidiaXIDEvent.busKey("not a bus") == nil)
    }

    @Test("-L lists GPUs with their UUIDs and counts the MIG instances under each")
    func list() throws {
        let listed = NvidiaSMIParser.listedGPUs(try NvidiaFixtures.text("a100-mig", "list.txt"))
        #expect(listed.map(\.index) == [0, 1])
        #expect(listed.map(\.migDevices) == [3, 0])
        #expect(listed[0].name == "NVIDIA A100-SXM4-80GB")
        #expect(listed[1].uuid == "GPU-9e1f3c4b-2a6d-4e8f-a0b1-c2d3e4f5a6b7")
        #expect(NvidiaSMIParser.listedGPUs(try NvidiaFixtures.text("t4-driver-470", "list.txt")).count == 4)
    }

    @Test("the field an old driver refuses is named in its error")
    func invalidFields() {
        #expect(NvidiaSMIParser.invalidFields("Field \"compute_cap\" is not a valid field to query.\n\n") == ["compute_cap"])
        #expect(NvidiaSMIParser.invalidFields("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.") == [])
    }

    @Test("output with units and a header (--format=csv) reads the same")
    func withUnits() {
        let text = "index, memory.total [MiB], power.draw [W], utilization.gpu [%]\n0, 46068 MiB, 144.97 W, 100 %\n"
        let gpu = NvidiaQueryFields.metrics(NvidiaSMIParser.queryRows(withHeader: text)[0], position: 0)
        #expect(gpu.memoryTotalMiB == 46068)
        #expect(gpu.powerDrawW == 144.97)
        #expect(gpu.utilizationPercent == 100)
    }
}
