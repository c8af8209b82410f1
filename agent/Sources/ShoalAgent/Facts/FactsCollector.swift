import Foundation
import ShoalCore

/// Reads what a node is from the kernel's own files: /etc/os-release, uname(2),
/// /proc/cpuinfo, /proc/meminfo and statvfs(3) of each real filesystem; and, in
/// `collectIncludingGPU`, the NVIDIA GPUs (nvidia-smi only if it exists, its answer cached).
public struct FactsCollector: Sendable {
    public var nodeName: String?
    public var root: String
    public var gpu: NvidiaFactsCache

    /// `root` lets tests point the collector at a captured tree instead of `/`; `nvidia`
    /// (by default one reading /proc and /sys under `root`) finds the GPUs.
    public init(nodeName: String? = nil, root: String = "", nvidia: NvidiaDetector? = nil) {
        self.nodeName = nodeName
        self.root = root
        self.gpu = NvidiaFactsCache(detector: nvidia ?? NvidiaDetector(procRoot: root, sysRoot: root))
    }

    /// `collect()` plus the GPU facts. Async because it may run nvidia-smi (10 s timeout per run,
    /// at most once per five minutes unless the driver changes).
    public func collectIncludingGPU() async -> NodeFacts {
        var facts = collect()
        facts.gpu = await gpu.gpuFacts()
        return facts
    }

    public func collect() -> NodeFacts {
        let os = Self.keyValues(read("/etc/os-release") ?? read("/usr/lib/os-release") ?? "")
        var name = utsname()
        uname(&name)
        let cpuinfo = read("/proc/cpuinfo") ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        return NodeFacts(
            hostname: nodeName ?? Self.hostname(),
            osID: os["ID"] ?? "unknown",
            osVersion: os["VERSION_ID"] ?? "unknown",
            osPrettyName: os["PRETTY_NAME"] ?? "unknown",
            kernel: Self.string(from: &name.release),
            architecture: Self.string(from: &name.machine),
            cpuCount: ProcessInfo.processInfo.activeProcessorCount,
            cpuModel: model,
            memoryBytes: Self.meminfo(read("/proc/meminfo") ?? "")["MemTotal"] ?? 0,
            disks: Self.diskUsage(root: root, read: read).map { NodeFacts.Disk(mount: $0.mount, totalBytes: $0.totalBytes) },
            agentVersion: AgentVersion.current
        )
    }

    /// Size and free space of each real filesystem in /proc/mounts (or of / without it).
    /// Facts keep the sizes, metrics the free space: one walk of the mounts serves both.
    static func diskUsage(root: String, read: (String) -> String?) -> [NodeMetrics.Disk] {
        let real: Set<String> = ["ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "vfat", "f2fs", "overlay"]
        var seen = Set<String>()
        var out: [NodeMetrics.Disk] = []
        for line in (read("/proc/mounts") ?? "").split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 3, real.contains(String(fields[2])) else { continue }
            let mount = String(fields[1])
            guard !seen.contains(mount), let usage = DiskUsage(path: root + mount) else { continue }
            seen.insert(mount)
            out.append(.init(mount: mount, totalBytes: usage.totalBytes, freeBytes: usage.availableBytes))
        }
        if out.isEmpty, let usage = DiskUsage(path: root + "/") {
            out.append(.init(mount: "/", totalBytes: usage.totalBytes, freeBytes: usage.availableBytes))
        }
        return out
    }

    func read(_ path: String) -> String? {
        try? String(contentsOfFile: root + path, encoding: .utf8)
    }

    public static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count)
        return String(cString: buffer)
    }

    static func string<T>(from field: inout T) -> String {
        withUnsafeBytes(of: &field) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// `KEY=value` and `KEY="value"` lines, as os-release(5) writes them.
    static func keyValues(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            var value = String(line[line.index(after: equals)...])
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            out[String(line[..<equals])] = value
        }
        return out
    }

    /// /proc/meminfo in bytes (the file says kB and means KiB).
    static func meminfo(_ text: String) -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == ":" || $0 == " " })
            guard parts.count >= 2, let value = UInt64(parts[1]) else { continue }
            out[String(parts[0])] = parts.count >= 3 && parts[2] == "kB" ? value * 1024 : value
        }
        return out
    }
}

/// statvfs(3) of one filesystem.
struct DiskUsage {
    var totalBytes: UInt64
    var availableBytes: UInt64

    init?(path: String) {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        let block = UInt64(stats.f_frsize)
        totalBytes = UInt64(stats.f_blocks) * block
        availableBytes = UInt64(stats.f_bavail) * block
    }
}
