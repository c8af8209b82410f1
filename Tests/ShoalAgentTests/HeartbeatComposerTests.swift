import Foundation
import ShoalCore
import Testing

@testable import ShoalAgent

@Suite("Heartbeat composer")
struct HeartbeatComposerTests {
    let root: TemporaryDirectory
    let spool: TemporaryDirectory

    init() throws {
        root = try TemporaryDirectory()
        spool = try TemporaryDirectory()
        try root.write("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
        try root.write("proc/meminfo", "MemTotal: 1024 kB\nMemAvailable: 512 kB\n")
        try root.write("proc/mounts", "/dev/sda1 / ext4 rw,relatime 0 0\n")
    }

    /// An agent reading the captured tree under `root`, with no nvidia-smi to find.
    func composer(factsMaxAge: Duration = .seconds(300)) -> HeartbeatComposer {
        let nvidia = NvidiaDetector(searchPath: [], procRoot: root.path, sysRoot: root.path)
        let facts = NodeFactsSource(collector: FactsCollector(nodeName: "node-a", root: root.path, nvidia: nvidia), maxAge: factsMaxAge)
        return HeartbeatComposer(
            facts: facts, metrics: MetricsSampler(root: root.path, nvidia: nvidia), checks: NodeCheckBoard(), spool: ResultSpool(directory: spool.path), trust: nil
        )
    }

    @Test("two heartbeats with unchanged facts send them once, while free disk space moves and arrives as a metric")
    func factsOnceFreeSpaceAsMetric() async throws {
        // Collect every time, as an agent without the cache would: only a real change resends.
        var composer = composer(factsMaxAge: .zero)
        let first = await composer.compose()
        #expect(first.request.facts != nil, "the first heartbeat carries the facts")
        #expect(first.request.facts?.disks.map(\.mount) == ["/"])
        #expect(first.request.facts?.disks.allSatisfy { $0.freeBytes == nil } == true, "free space is not a fact")
        composer.acknowledged(first.facts)

        // Use some disk between the beats so the free space really changes.
        try root.write("ballast", String(repeating: "x", count: 4 << 20))
        let second = await composer.compose()
        #expect(second.request.facts == nil, "unchanged facts are not sent again")
        let disks = try #require(second.request.metrics.disks)
        let rootDisk = try #require(disks.first { $0.mount == "/" })
        #expect(rootDisk.totalBytes > 0 && rootDisk.freeBytes > 0 && rootDisk.freeBytes <= rootDisk.totalBytes)
        #expect(first.request.metrics.disks?.first?.freeBytes != nil)
    }

    @Test("facts that changed are sent again once the kept collection is invalidated (a bundle ran)")
    func changedFactsAreResent() async throws {
        var composer = composer()
        let first = await composer.compose()
        composer.acknowledged(first.facts)
        try root.write("etc/os-release", "ID=debian\nVERSION_ID=\"13\"\n")
        #expect(await composer.compose().request.facts == nil, "kept facts stand until invalidated or maxAge")
        composer.facts.invalidate()
        #expect(await composer.compose().request.facts?.osVersion == "13")
    }

    @Test("facts not acknowledged (the heartbeat failed) are sent again")
    func unacknowledgedFactsAreResent() async {
        let composer = composer()
        #expect(await composer.compose().request.facts != nil)
        #expect(await composer.compose().request.facts != nil)
    }

    @Test("an older agent's facts with free space, and metrics without disks, still decode")
    func olderAgentStillDecodes() throws {
        let facts = #"{"agentVersion":"0.1.0","architecture":"x86_64","cpuCount":2,"cpuModel":"x","disks":[{"freeBytes":5,"mount":"/","totalBytes":9}],"hostname":"h","kernel":"6","memoryBytes":1,"osID":"debian","osPrettyName":"Debian","osVersion":"12"}"#
        let decoded = try WireCoding.decoder().decode(NodeFacts.self, from: Data(facts.utf8))
        #expect(decoded.disks == [NodeFacts.Disk(mount: "/", totalBytes: 9, freeBytes: 5)])
        let metrics = #"{"cpuPercent":1,"load1":0,"load5":0,"load15":0,"memoryTotalBytes":1,"memoryUsedBytes":1,"rootDiskTotalBytes":9,"rootDiskUsedBytes":4}"#
        #expect(try WireCoding.decoder().decode(NodeMetrics.self, from: Data(metrics.utf8)).disks == nil)
    }
}
