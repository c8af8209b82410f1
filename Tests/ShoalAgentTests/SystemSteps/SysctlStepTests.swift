import Foundation
@testable import ShoalAgent
import ShoalCore
import Testing

/// The sysctl step. Live values go to a folder laid out like /proc/sys (this host's own
/// sysctls must not change); reads of the real /proc/sys prove key mapping and errors.
@Suite("Sysctl step")
struct SysctlStepTests {
    let dir: TemporaryDirectory
    let proc: String

    init() throws {
        dir = try TemporaryDirectory()
        proc = dir.file("proc")
        try dir.write("proc/net/ipv4/ip_forward", "0\n")
        try dir.write("proc/net/ipv4/ip_local_port_range", "32768\t60999\n")
        try dir.write("proc/vm/swappiness", "60\n")
    }

    func step(_ settings: [String: JSONValue], file: String? = nil, procRoot: String? = nil) throws -> SysctlStep {
        var params: [String: JSONValue] = ["settings": .object(settings), "file": .string(file ?? dir.file("90-test.conf"))]
        if file == "" { params["file"] = nil }
        return try SysctlStep(spec: SystemStepFixtures.spec(SysctlStep.kind, name: "GPU node tuning", params), procRoot: procRoot ?? proc)
    }

    var settings: [String: JSONValue] {
        ["net.ipv4.ip_forward": .number(1), "vm.swappiness": .string("10"), "net.ipv4.ip_local_port_range": .string("32768 60999")]
    }

    @Test("check reports live and file changes and writes nothing")
    func checkMode() async throws {
        let outcome = try await step(settings).check(in: SystemStepFixtures.context(dir))
        #expect(outcome.status == .changed)
        #expect(outcome.diff?.contains("# live net.ipv4.ip_forward: 0 -> 1") == true)
        #expect(outcome.diff?.contains("+vm.swappiness = 10") == true)
        #expect(outcome.diff?.contains("ip_local_port_range:") == false)
        #expect(dir.lines("proc/net/ipv4/ip_forward") == ["0"])
        #expect(!dir.exists("90-test.conf"))
    }

    @Test("apply writes live values and the sorted sysctl.d file; a second apply is unchanged")
    func applyThenUnchanged() async throws {
        let first = try await step(settings).apply(in: SystemStepFixtures.context(dir))
        #expect(first.status == .changed, "\(first.message ?? "")")
        #expect(dir.lines("proc/net/ipv4/ip_forward") == ["1"])
        #expect(dir.lines("proc/vm/swappiness") == ["10"])
        #expect(dir.lines("90-test.conf").dropFirst() == ["net.ipv4.ip_forward = 1", "net.ipv4.ip_local_port_range = 32768 60999", "vm.swappiness = 10"])
        #expect(try PathState.read(dir.file("90-test.conf")).mode == 0o644)
        #expect(try await step(settings).apply(in: SystemStepFixtures.context(dir)).status == .unchanged)
    }

    @Test("a live value drifting back (e.g. another tool) makes the step changed again")
    func liveDrift() async throws {
        _ = try await step(settings).apply(in: SystemStepFixtures.context(dir))
        try dir.write("proc/vm/swappiness", "60\n")
        let outcome = try await step(settings).apply(in: SystemStepFixtures.context(dir))
        #expect(outcome.status == .changed)
        #expect(outcome.message == "set vm.swappiness live")
        #expect(dir.lines("proc/vm/swappiness") == ["10"])
    }

    @Test("when the kernel refuses one key, keys already written are put back and the file is not written")
    func rollbackOnRefusal() async throws {
        // A real read-only kernel key: even root cannot write /proc/sys/kernel/ostype.
        try FileManager.default.createDirectory(atPath: proc + "/kernel", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: proc + "/kernel/ostype", withDestinationPath: "/proc/sys/kernel/ostype")
        let outcome = try await step(["net.ipv4.ip_forward": .number(1), "kernel.ostype": .string("Plan9")]).apply(in: SystemStepFixtures.context(dir))
        #expect(outcome.status == .failed)
        #expect(outcome.errorCode == "sysctl.write_failed")
        #expect(dir.lines("proc/net/ipv4/ip_forward") == ["0"])
        #expect(!dir.exists("90-test.conf"))
        #expect(SystemStepFixtures.read("/proc/sys/kernel/ostype") == "Linux\n")
    }

    @Test("an unknown key is sysctl.unknown_key, read against the real /proc/sys")
    func unknownKey() async throws {
        let outcome = try await step(["net.ipv4.no_such_key": .number(1)], procRoot: "/proc/sys").check(in: SystemStepFixtures.context(dir))
        #expect(outcome.errorCode == "sysctl.unknown_key")
        #expect(outcome.message?.contains("/proc/sys/net/ipv4/no_such_key") == true)
        let group = try await step(["net.ipv4": .number(1)], procRoot: "/proc/sys").check(in: SystemStepFixtures.context(dir))
        #expect(group.errorCode == "sysctl.unknown_key")
    }

    @Test("real /proc/sys values are read and compared: kernel.ostype Linux is live-unchanged, only the file would change")
    func realProcRead() async throws {
        let outcome = try await step(["kernel.ostype": .string("Linux")], procRoot: "/proc/sys").check(in: SystemStepFixtures.context(dir))
        #expect(outcome.status == .changed)
        #expect(outcome.message == "would create \(dir.file("90-test.conf"))")
        #expect(outcome.diff?.contains("# live") == false)
    }

    @Test("the default file is named after the step")
    func defaultFile() throws {
        #expect(SysctlStep.defaultFile(stepName: "GPU node tuning") == "/etc/sysctl.d/90-shoal-gpu-node-tuning.conf")
        #expect(SysctlStep.defaultFile(stepName: nil) == "/etc/sysctl.d/90-shoal.conf")
        #expect(try step(settings, file: "").file == "/etc/sysctl.d/90-shoal-gpu-node-tuning.conf")
    }

    @Test("bad keys, empty settings and a file not ending in .conf are step.invalid")
    func invalid() throws {
        #expect(throws: ShoalError.self) { try step(["../../etc/passwd": .number(1)]) }
        #expect(throws: ShoalError.self) { try step([:]) }
        #expect(throws: ShoalError.self) { try step(settings, file: "/etc/sysctl.d/x.txt") }
    }
}
