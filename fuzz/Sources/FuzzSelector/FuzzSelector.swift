import Foundation
import FuzzSupport
import ShoalCore

/// Node selectors as operators type them (`--selector`) and as task files write `when:`.
enum SelectorHarness {
    static let facts = NodeFacts(
        hostname: "gpu-07", osID: "ubuntu", osVersion: "22.04", osPrettyName: "Ubuntu 22.04.4 LTS", kernel: "6.8.0",
        architecture: "x86_64", cpuCount: 64, cpuModel: "AMD EPYC", memoryBytes: 512 << 30, disks: [], agentVersion: "0.1.0",
        gpu: .init(driverLoaded: true, driverVersion: "550.54.15", cudaVersion: "12.4", devices: [
            .init(index: 0, model: "NVIDIA H200", memoryMiB: 143_771, computeCapability: "9.0"),
        ])
    )
    static let labels = ["role": "compute", "env": "prod"]

    static func run(_ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        guard let selector = try? NodeSelector(parsing: text) else { return }
        _ = selector.matches { key in
            SelectorFacts.value(for: key, id: "n-1", hostname: "gpu-07", status: "ready", labels: labels, facts: facts)
        }
        _ = selector.matches { _ in nil }
        // The CLI prints a selector and tasks store it as text: it must read back the same.
        guard !selector.terms.isEmpty else { return }
        guard let again = try? NodeSelector(parsing: selector.description), again == selector else {
            fatalError("selector '\(text)' prints as '\(selector.description)', which does not parse back to the same terms")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    SelectorHarness.run(FuzzInput.data(bytes, count))
    return 0
}
