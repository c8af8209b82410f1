import Foundation
import ShoalAgent
import ShoalCore
#if canImport(Glibc)
import Glibc
#endif

/// A private dockerd for one test: its own data root, exec root and socket under a short
/// /tmp folder, with `--iptables=false --bridge=none` so it never touches the host firewall.
///
/// Use it only through `TestDockerDaemon.run { daemon in ... }`, which stops it whatever the
/// body does: containers removed, dockerd sent SIGTERM (then SIGKILL), any containerd or
/// shim of this daemon killed, its mounts detached and its folder removed.
final class TestDockerDaemon: Sendable {
    static let imageRepository = "shoal-test/busybox"
    static let imageTag = "1"
    static var image: String { "\(imageRepository):\(imageTag)" }

    let root: String
    let process: Process
    let client: DockerEngineClient

    var socket: String { root + "/s.sock" }

    private init(root: String, process: Process) {
        self.root = root
        self.process = process
        self.client = DockerEngineClient(socketPath: root + "/s.sock")
    }

    /// Starts a daemon, runs `body`, and always stops the daemon and removes its files.
    static func run<T>(withImage: Bool = true, _ body: (TestDockerDaemon) async throws -> T) async throws -> T {
        let daemon = try await start()
        do {
            if withImage { try await daemon.importBusyboxImage() }
            let result = try await body(daemon)
            await daemon.stop()
            return result
        } catch {
            await daemon.stop()
            throw error
        }
    }

    private static func start() async throws -> TestDockerDaemon {
        // Short: a unix socket path must fit in ~108 bytes.
        let root = "/tmp/sdk-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let log = root + "/dockerd.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/dockerd")
        process.arguments = [
            "--data-root", root + "/d", "--exec-root", root + "/e", "-H", "unix://\(root)/s.sock",
            "--pidfile", root + "/p", "--iptables=false", "--bridge=none",
        ]
        let handle = FileHandle(forWritingAtPath: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        let daemon = TestDockerDaemon(root: root, process: process)
        do {
            try process.run()
            try await daemon.waitUntilReady()
        } catch {
            await daemon.stop()
            throw error
        }
        return daemon
    }

    private func waitUntilReady() async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        var lastError = "no answer yet"
        while ContinuousClock.now < deadline {
            if !process.isRunning {
                throw ShoalError(.internalError, "dockerd exited during startup (status \(process.terminationStatus)): \(logTail())")
            }
            do {
                try await client.ping()
                return
            } catch {
                lastError = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ShoalError(.internalError, "dockerd did not answer on \(socket) within 60s (last: \(lastError)): \(logTail())")
    }

    func logTail() -> String {
        String(((try? String(contentsOfFile: root + "/dockerd.log", encoding: .utf8)) ?? "").suffix(2000))
    }

    /// Imports a one-binary busybox image (no registry needed) as `shoal-test/busybox:1`;
    /// a `marker` file makes it a different image under the same tag. `changes` are
    /// Dockerfile instructions for the image (`VOLUME /data`), as `docker import --change`.
    func importBusyboxImage(marker: String? = nil, tag: String = imageTag, changes: [String] = []) async throws {
        let rootfs = root + "/rootfs-\(marker ?? "plain")"
        try FileManager.default.createDirectory(atPath: rootfs + "/bin", withIntermediateDirectories: true)
        if let marker {
            try Data(marker.utf8).write(to: URL(fileURLWithPath: rootfs + "/marker"))
        }
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: rootfs + "/bin/busybox")
        for tool in ["sh", "sleep", "true", "env", "cat"] {
            try FileManager.default.createSymbolicLink(atPath: rootfs + "/bin/" + tool, withDestinationPath: "busybox")
        }
        let tarball = rootfs + ".tar"
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
        tar.arguments = ["-C", rootfs, "-cf", tarball, "."]
        try tar.run()
        tar.waitUntilExit()
        guard tar.terminationStatus == 0 else { throw ShoalError(.internalError, "tar of the test rootfs failed") }
        let data = try Data(contentsOf: URL(fileURLWithPath: tarball))
        try await client.importImage(tarball: data, repository: Self.imageRepository, tag: tag, changes: changes)
    }

    /// Stops everything this daemon started and removes its folder.
    func stop() async {
        // Containers first, so shutdown does not wait out their stop timeouts.
        if let containers = try? await client.listContainers() {
            for container in containers { try? await client.removeContainer(container.id) }
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            if !(await waitForExit(within: .seconds(20))) {
                kill(process.processIdentifier, SIGKILL)
                _ = await waitForExit(within: .seconds(5))
            }
        }
        killLeftovers()
        detachMounts()
        try? FileManager.default.removeItem(atPath: root)
    }

    private func waitForExit(within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(100))
        }
        return !process.isRunning
    }

    /// containerd and its shims run in sessions of their own; they name our exec root in
    /// their command lines. A shim's children are container processes: killed first.
    private func killLeftovers() {
        let ours = Self.processes().filter { $0.commandLine.contains(root + "/") }
        guard !ours.isEmpty else { return }
        let ourPIDs = Set(ours.map(\.pid))
        for child in Self.processes() where ourPIDs.contains(child.parent) && !ourPIDs.contains(child.pid) {
            kill(child.pid, SIGKILL)
        }
        for process in ours { kill(process.pid, SIGKILL) }
        usleep(200_000)
    }

    private func detachMounts() {
        let mountInfo = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        let points = mountInfo.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { return nil }
            let point = String(fields[4])
            return point == root || point.hasPrefix(root + "/") ? point : nil
        }
        for point in points.sorted(by: { $0.count > $1.count }) {
            umount2(point, Int32(MNT_DETACH))
        }
    }

    private static func processes() -> [(pid: pid_t, parent: pid_t, commandLine: String)] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard let pid = pid_t(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, let parent = pid_t(fields[1]) else { return nil }
            let raw = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") ?? Data()
            let commandLine = String(decoding: raw.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
            return (pid, parent, commandLine)
        }
    }

    /// A context for running steps against this daemon.
    func context(_ name: String = "docker") -> StepContext {
        StepContext(nodeID: "node-1", bundleID: "bundle-1", stepIndex: 0, files: [:], outputPrefix: root + "/out-\(name)", remaining: .seconds(300))
    }
}
