import Foundation
import ShoalAgent
import ShoalCore
import Testing

@Suite("Facts collector")
struct FactsCollectorTests {
    let root: TemporaryDirectory

    init() throws { root = try TemporaryDirectory() }

    func writeTree(osRelease: String? = nil, cpuinfo: String? = nil, meminfo: String? = nil, mounts: String? = nil) throws {
        if let osRelease { try root.write("etc/os-release", osRelease) }
        if let cpuinfo { try root.write("proc/cpuinfo", cpuinfo) }
        if let meminfo { try root.write("proc/meminfo", meminfo) }
        if let mounts { try root.write("proc/mounts", mounts) }
    }

    @Test("OS, CPU model and memory are read from the files under root")
    func parsesFiles() throws {
        try writeTree(
            osRelease: """
                NAME="Ubuntu"
                # a comment
                ID=ubuntu
                VERSION_ID="24.04"
                PRETTY_NAME="Ubuntu 24.04.1 LTS"
                """,
            cpuinfo: """
                processor\t: 0
                vendor_id\t: GenuineIntel
                model name\t: Intel(R) Xeon(R) CPU @ 2.20GHz
                flags\t\t: fpu vme

                processor\t: 1
                model name\t: Intel(R) Xeon(R) CPU @ 2.20GHz
                """,
            meminfo: """
                MemTotal:       16303428 kB
                MemFree:         1234567 kB
                HugePages_Total:       0
                """
        )
        let facts = FactsCollector(nodeName: "web-01", root: root.path).collect()
        #expect(facts.hostname == "web-01")
        #expect(facts.osID == "ubuntu")
        #expect(facts.osVersion == "24.04")
        #expect(facts.osPrettyName == "Ubuntu 24.04.1 LTS")
        #expect(facts.cpuModel == "Intel(R) Xeon(R) CPU @ 2.20GHz")
        #expect(facts.memoryBytes == 16_303_428 * 1024)
        #expect(facts.agentVersion == AgentVersion.current)
        #expect(facts.cpuCount >= 1)
        #expect(!facts.kernel.isEmpty)
        #expect(!facts.architecture.isEmpty)
    }

    @Test("/usr/lib/os-release is the fallback when /etc/os-release is missing")
    func osReleaseFallback() throws {
        try root.write("usr/lib/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
        let facts = FactsCollector(root: root.path).collect()
        #expect(facts.osID == "debian")
        #expect(facts.osVersion == "12")
    }

    @Test("missing files give unknown and zero, not a crash")
    func missingFiles() {
        let facts = FactsCollector(root: root.path).collect()
        #expect(facts.osID == "unknown")
        #expect(facts.osVersion == "unknown")
        #expect(facts.cpuModel == "unknown")
        #expect(facts.memoryBytes == 0)
        #expect(facts.hostname == FactsCollector.hostname())
    }

    @Test("disks come from real filesystems in /proc/mounts; pseudo filesystems are skipped")
    func disks() throws {
        try FileManager.default.createDirectory(atPath: root.file("data"), withIntermediateDirectories: true)
        try writeTree(mounts: """
            /dev/sda1 / ext4 rw,relatime 0 0
            proc /proc proc rw 0 0
            tmpfs /run tmpfs rw 0 0
            /dev/sdb1 /data xfs rw 0 0
            /dev/sda1 / ext4 rw,relatime 0 0
            """)
        let facts = FactsCollector(root: root.path).collect()
        #expect(facts.disks.map(\.mount) == ["/", "/data"])
        #expect(facts.disks.allSatisfy { $0.totalBytes > 0 && $0.freeBytes == nil }, "free space is a metric, not a fact")
    }

    @Test("without /proc/mounts the root filesystem is reported")
    func disksFallback() {
        let facts = FactsCollector(root: root.path).collect()
        #expect(facts.disks.map(\.mount) == ["/"])
        #expect((facts.disks.first?.totalBytes ?? 0) > 0)
    }
}
