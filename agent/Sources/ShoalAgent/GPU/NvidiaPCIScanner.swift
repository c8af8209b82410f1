import Foundation
import ShoalCore

/// Finds NVIDIA GPUs on the PCI bus through sysfs, which needs no driver: vendor 0x10de with a
/// display-controller class (0x03xxxx: VGA 0x0300, 3D 0x0302, other 0x0380). This leaves out the
/// same boards' HDMI audio (0x0403) and USB-C (0x0c03) functions, and NVSwitches (0x0680).
public struct NvidiaPCIScanner: Sendable {
    public struct Device: Sendable, Equatable {
        /// `0000:83:00.0`, as sysfs names it.
        public var address: String
        /// `10de:2335`.
        public var id: String
        /// `0x030200`.
        public var classCode: String
        /// The kernel driver bound to it (`nvidia`, `nouveau`, `vfio-pci`), if any.
        public var driver: String?
    }

    public static let nvidiaVendorID = "0x10de"

    /// Prefix for /sys, so tests can point it at a fixture tree.
    public var sysRoot: String

    public init(sysRoot: String = "") { self.sysRoot = sysRoot }

    public func devices() -> [Device] {
        let directory = sysRoot + "/sys/bus/pci/devices"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return entries.sorted().compactMap { address in
            let path = directory + "/" + address
            guard read(path + "/vendor")?.lowercased() == Self.nvidiaVendorID,
                  let classCode = read(path + "/class")?.lowercased(), classCode.hasPrefix("0x03"),
                  let device = read(path + "/device")?.lowercased() else { return nil }
            let driver = (try? FileManager.default.destinationOfSymbolicLink(atPath: path + "/driver"))
                .map { ($0 as NSString).lastPathComponent }
            let deviceID = device.hasPrefix("0x") ? String(device.dropFirst(2)) : device
            return Device(address: address, id: "10de:" + deviceID, classCode: classCode, driver: driver)
        }
    }

    /// The devices as facts: index by bus order, bus id in nvidia-smi's form (`00000000:83:00.0`).
    public func gpuDevices() -> [NodeFacts.GPUDevice] {
        devices().enumerated().map { position, device in
            NodeFacts.GPUDevice(index: position, pciBusID: Self.smiBusID(device.address), pciDeviceID: device.id)
        }
    }

    /// sysfs writes `0000:0c:00.0`; nvidia-smi writes `00000000:0C:00.0`.
    static func smiBusID(_ address: String) -> String {
        let parts = address.split(separator: ":", maxSplits: 1)
        guard parts.count == 2 else { return address.uppercased() }
        let domain = String(repeating: "0", count: max(0, 8 - parts[0].count)) + parts[0]
        return (domain + ":" + parts[1]).uppercased()
    }

    private func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
