import Foundation
import ShoalAgent
import ShoalCore

/// The committed nvidia-smi scenarios (Fixtures/nvidia-smi, see its README) and a fake
/// nvidia-smi that replays one of them, standing in for a GPU this machine does not have.
enum NvidiaFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/nvidia-smi").path

    static let scenariosWithDriver = ["rtx-2080-super", "h200", "l40s", "a100-mig", "t4-driver-470"]

    static func directory(_ scenario: String) -> String { root + "/" + scenario }

    static func text(_ scenario: String, _ file: String) throws -> String {
        try String(contentsOfFile: directory(scenario) + "/" + file, encoding: .utf8)
    }

    /// Rows of the scenario's query-gpu.csv, read through its header.
    static func rows(_ scenario: String) throws -> [[String: String]] {
        NvidiaSMIParser.queryRows(withHeader: try text(scenario, "query-gpu.csv"))
    }

    /// An executable `name` in `directory` that runs fake-nvidia-smi.sh for `scenario`,
    /// appending each call's arguments to `log` when given.
    @discardableResult
    static func installFakeSMI(_ scenario: String, in directory: TemporaryDirectory, name: String = "nvidia-smi", log: String? = nil) throws -> String {
        let logLine = log.map { "FAKE_NVIDIA_SMI_LOG='\($0)' " } ?? ""
        let path = try directory.write(name, """
            #!/bin/sh
            \(logLine)exec /bin/sh '\(root)/fake-nvidia-smi.sh' '\(Self.directory(scenario))' "$@"

            """)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    /// An executable nvidia-smi in `directory` replaying whichever scenario the file
    /// `scenarioFile` names at the time it runs, so a test can change the GPU's state under a
    /// running sampler.
    static func installSwitchableFakeSMI(in directory: TemporaryDirectory, scenarioFile: String) throws -> String {
        let path = try directory.write("switchable-nvidia-smi", """
            #!/bin/sh
            exec /bin/sh '\(root)/fake-nvidia-smi.sh' "\(root)/$(cat '\(scenarioFile)')" "$@"

            """)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    /// A kernel log replaying the scenario's dmesg.txt (the scenario `scenarioFile` names, when given).
    static func kernelLog(_ scenario: String? = nil, in directory: TemporaryDirectory, scenarioFile: String? = nil) throws -> NvidiaKernelLog {
        let target = scenarioFile.map { "\"\(root)/$(cat '\($0)')\"" } ?? "'\(Self.directory(scenario ?? "no-gpu"))'"
        let path = try directory.write("fake-dmesg-\(UUID().uuidString)", """
            #!/bin/sh
            exec /bin/sh '\(root)/fake-dmesg.sh' \(target)

            """)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        // A generous timeout: under a loaded CI machine a shell script can take seconds to
        // start, and a timeout would read as "no kernel log" rather than as the scenario.
        return NvidiaKernelLog(commands: [[path]], searchPath: [], timeout: .seconds(60))
    }

    /// A detector reading the scenario's /proc and /sys trees, running `smi` (nil: a path that does not exist).
    /// 60 s for the fake driver (a shell script) to answer: the whole suite starting at once on
    /// two cores has taken longer than the real 10 s, which reads as a driver that hangs.
    static func detector(_ scenario: String, smi: String?) -> NvidiaDetector {
        NvidiaDetector(
            nvidiaSmiPath: smi ?? "/nonexistent/nvidia-smi", searchPath: [], procRoot: directory(scenario), sysRoot: directory(scenario), timeout: .seconds(60)
        )
    }
}
