import Foundation

/// Real Debian 12 nodes for tests: systemd booted under systemd-nspawn, each in its own
/// network namespace, driven through `Tests/testbed/testbed.sh` (see its README). Needs root.
///
///     try await Testbed.withNodes(count: 2) { nodes in
///         let result = try await nodes[0].exec(["systemctl", "is-system-running"])
///     }
public enum Testbed {
    /// The harness script, found relative to this source file so tests work from any cwd.
    public static let scriptPath: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("testbed/testbed.sh").path

    /// The package root (where `.build` lives).
    public static let packageRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Where the harness keeps per-node state (overlay dirs, logs); same default as the script.
    public static var stateDirectory: String {
        ProcessInfo.processInfo.environment["SHOAL_TESTBED_STATE"] ?? "/var/lib/shoal-testbed"
    }

    /// Prefix of every netns, veth, machine name and process tag the harness makes.
    public static let resourcePrefix = "shoaltb-"

    /// Boots `count` nodes (in parallel), runs `body`, and always tears every node down,
    /// also when booting or `body` fails. Node names are random so concurrent test runs on
    /// one machine do not collide.
    public static func withNodes<Result>(
        count: Int,
        binds: [String] = [],
        cpus: Int? = nil,
        memory: String? = nil,
        isolation: isolated (any Actor)? = #isolation,
        _ body: ([TestbedNode]) async throws -> Result
    ) async throws -> Result {
        let names = (0..<count).map { _ in randomName() }
        do {
            try await prepare()
            let nodes = try await boot(names: names, binds: binds, cpus: cpus, memory: memory)
            let result = try await body(nodes)
            try await tearDown(names)
            return result
        } catch {
            try? await tearDown(names)
            throw error
        }
    }

    /// Checks host tools and builds (once, cached) the base rootfs and harness key.
    public static func prepare() async throws {
        let result = try await run(["prepare"])
        guard result.succeeded else {
            throw TestbedError("testbed prepare failed (exit \(result.status)): \(result.stderr); run \(scriptPath) prepare as root to see why")
        }
    }

    /// Runs the harness script with `arguments` and returns what it did.
    public static func run(_ arguments: [String], stdin: Data? = nil, timeout: Duration? = nil) async throws -> TestbedResult {
        try await TestbedProcess.run("/bin/bash", [scriptPath] + arguments, stdin: stdin, timeout: timeout)
    }

    /// Runs a host program (e.g. ssh, ssh-keygen) the same way the harness runs its own.
    public static func runOnHost(_ executable: String, _ arguments: [String], stdin: Data? = nil, timeout: Duration? = nil) async throws -> TestbedResult {
        try await TestbedProcess.run(executable, arguments, stdin: stdin, timeout: timeout)
    }

    /// Host directories a dynamically linked host binary needs inside a node: those of the
    /// libraries `ldd` resolves outside the system library dirs (e.g. the Swift runtime under
    /// /opt/swift). Pass them as `binds`, with the directory holding the binary itself.
    public static func runtimeBinds(forExecutable path: String) async throws -> [String] {
        let ldd = try await TestbedProcess.run("/usr/bin/ldd", [path])
        guard ldd.succeeded else { throw TestbedError("ldd \(path) failed: \(ldd.stderr); is it a dynamic executable?") }
        let systemDirs = ["/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/"]
        var dirs: [String] = []
        for line in ldd.stdout.split(separator: "\n") {
            guard let arrow = line.range(of: "=> ") else { continue }
            let library = line[arrow.upperBound...].split(separator: " ").first.map(String.init) ?? ""
            guard library.hasPrefix("/"), !systemDirs.contains(where: { library.hasPrefix($0) }) else { continue }
            let dir = URL(fileURLWithPath: library).deletingLastPathComponent().path
            if !dirs.contains(dir) { dirs.append(dir) }
        }
        return dirs
    }

    private static func boot(names: [String], binds: [String], cpus: Int?, memory: String?) async throws -> [TestbedNode] {
        var arguments: [String] = binds.flatMap { ["--bind-ro", $0] }
        if let cpus { arguments += ["--cpus", String(cpus)] }
        if let memory { arguments += ["--memory", memory] }
        let options = arguments
        let key = try await run(["ssh-key"])
        guard key.succeeded else { throw TestbedError("testbed has no SSH key: \(key.stderr)") }
        let keyPath = key.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return try await withThrowingTaskGroup(of: TestbedNode.self) { group in
            for name in names {
                group.addTask {
                    let up = try await run(["up", name] + options)
                    guard up.succeeded else {
                        throw TestbedError("node \(name) did not boot (exit \(up.status)): \(up.stderr)")
                    }
                    let hostIP = try await run(["host-ip", name])
                    return TestbedNode(
                        name: name,
                        ip: up.stdout.trimmingCharacters(in: .whitespacesAndNewlines),
                        hostIP: hostIP.stdout.trimmingCharacters(in: .whitespacesAndNewlines),
                        sshKeyPath: keyPath
                    )
                }
            }
            var booted: [TestbedNode] = []
            for try await node in group { booted.append(node) }
            return names.compactMap { name in booted.first { $0.name == name } }
        }
    }

    private static func tearDown(_ names: [String]) async throws {
        var failures: [String] = []
        for name in names {
            let down = try await run(["down", name])
            if !down.succeeded { failures.append("\(name): \(down.stderr)") }
        }
        guard failures.isEmpty else {
            throw TestbedError("testbed teardown failed: \(failures.joined(separator: "; ")); run \(scriptPath) down-all")
        }
    }

    /// A letter then six of [a-z0-9]: fits the 15-char interface names the harness derives.
    private static func randomName() -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        let alphanumerics = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        var name = String(letters.randomElement() ?? "t")
        for _ in 0..<6 { name.append(alphanumerics.randomElement() ?? "0") }
        return name
    }
}
