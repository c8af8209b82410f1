import Foundation
import ShoalAgent
import ShoalTestSupport
import Testing

/// The release artefacts: the static-stdlib agent from `scripts/build-release.sh` and the
/// `.deb` packages `packaging/build-debs.sh` makes from it, tried on real Debian 12 nodes
/// that have no Swift toolchain (no /opt/swift bind).
///
/// Needs the release build first (CI: `scripts/build-release.sh`), into
/// `.build-release/dist` or the directory in `$SHOAL_RELEASE_DIST`.
extension SystemTests {
@Suite(.serialized)
struct PackagingTests {
    static let distDirectory: String = {
        if let custom = ProcessInfo.processInfo.environment["SHOAL_RELEASE_DIST"], !custom.isEmpty { return custom }
        return Testbed.packageRoot + "/.build-release/dist"
    }()

    /// What a binary built on Debian 12 may need at run time: glibc and the gcc runtime.
    static let glibcLevelLibraries: Set<String> = [
        "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libutil.so.1",
        "libgcc_s.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1",
    ]

    /// The shipped role profiles, by name, from the source tree.
    static let shippedProfiles: [String] = {
        let directory = Testbed.packageRoot + "/coordinator/profiles"
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }()

    private func trimmed(_ text: String) -> String { text.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// A release binary; fails (not skips) with the command that makes it when it is missing.
    private func releaseBinary(_ name: String) throws -> String {
        let path = Self.distDirectory + "/" + name
        try #require(
            FileManager.default.isExecutableFile(atPath: path),
            "no release \(name) at \(path): run scripts/build-release.sh (or set SHOAL_RELEASE_DIST)"
        )
        return path
    }

    private func host(_ executable: String, _ arguments: [String]) async throws -> TestbedResult {
        // Building and linting both .debs takes over 2 minutes on a loaded 2-core machine.
        let result = try await Testbed.runOnHost(executable, arguments, timeout: .seconds(300))
        try #require(result.succeeded, "\(executable) \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.stderr)")
        return result
    }

    private func neededLibraries(_ path: String) async throws -> [String] {
        let dynamic = try await host("/usr/bin/readelf", ["-d", path])
        return dynamic.stdout.split(separator: "\n").compactMap { line in
            guard line.contains("(NEEDED)"), let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]") else { return nil }
            return String(line[line.index(after: open)..<close])
        }
    }

    /// Both packages, freshly built from the release binaries into a temporary directory.
    private func buildDebs() async throws -> (agent: String, coordinator: String, cleanup: @Sendable () -> Void) {
        _ = try releaseBinary("agent")
        _ = try releaseBinary("coordinator")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-debs-\(UUID().uuidString)").path
        let script = Testbed.packageRoot + "/packaging/build-debs.sh"
        _ = try await host("/bin/bash", [script, "--dist", Self.distDirectory, "--out", out, "--version", AgentVersion.current, "--no-lintian"])
        let arch = trimmed(try await host("/usr/bin/dpkg", ["--print-architecture"]).stdout)
        let agent = "\(out)/shoal-agent_\(AgentVersion.current)_\(arch).deb"
        let coordinator = "\(out)/shoal-coordinator_\(AgentVersion.current)_\(arch).deb"
        #expect(FileManager.default.fileExists(atPath: agent))
        #expect(FileManager.default.fileExists(atPath: coordinator))
        return (agent, coordinator, { try? FileManager.default.removeItem(atPath: out) })
    }

    @Test func staticAgentNeedsOnlyGlibcLevelLibraries() async throws {
        let agent = try releaseBinary("agent")
        let needed = try await neededLibraries(agent)
        #expect(needed.contains("libc.so.6"), "\(needed)")
        let foreign = needed.filter { !Self.glibcLevelLibraries.contains($0) }
        #expect(foreign.isEmpty, "the release agent needs more than glibc: \(foreign) (all: \(needed))")

        // Runs on Ubuntu 22.04's glibc (2.35) and newer: the build links its own arc4random
        // (packaging/glibc-compat) instead of glibc 2.36's.
        let symbols = try await host("/usr/bin/objdump", ["-T", agent])
        let versions = symbols.stdout.matches(of: /GLIBC_(\d+)\.(\d+)/).compactMap { match -> [Int]? in
            guard let major = Int(match.output.1), let minor = Int(match.output.2) else { return nil }
            return [major, minor]
        }
        let floor = try #require(versions.max { $0.lexicographicallyPrecedes($1) })
        #expect(!floor.lexicographicallyPrecedes([2, 17]), "a Swift binary uses some modern glibc symbols: \(floor)")
        #expect(!([2, 35]).lexicographicallyPrecedes(floor), "needs glibc \(floor), newer than Ubuntu 22.04's 2.35")

        // Stripped, and no search path into a toolchain.
        let sections = try await host("/usr/bin/readelf", ["-S", "-W", agent])
        #expect(!sections.stdout.contains(".symtab"), "the release agent is stripped")
        let dynamic = try await host("/usr/bin/readelf", ["-d", agent])
        #expect(!dynamic.stdout.contains("/opt/swift") && !dynamic.stdout.contains("swift"), "\(dynamic.stdout)")
    }

    @Test func staticAgentRunsOnADebianNodeWithoutTheSwiftRuntime() async throws {
        let agent = try releaseBinary("agent")
        try await Testbed.withNodes(count: 1) { nodes in
            let node = try #require(nodes.first)
            #expect(try await node.exec(["test", "-e", "/opt/swift"]).status != 0, "the node has no Swift toolchain")
            try await node.copyFile(from: agent, to: "/usr/local/bin/shoal-agent", mode: 0o755)

            let ldd = try await node.exec(["ldd", "/usr/local/bin/shoal-agent"])
            #expect(ldd.status == 0, "\(ldd.stderr)")
            #expect(!ldd.stdout.contains("not found") && !ldd.stdout.contains("swift"), "\(ldd.stdout)")

            let version = try await node.exec(["env", "LD_LIBRARY_PATH=", "/usr/local/bin/shoal-agent", "--version"])
            #expect(version.status == 0, "\(version.stdout) \(version.stderr)")
            #expect(trimmed(version.stdout) == AgentVersion.current)

            let help = try await node.exec(["env", "LD_LIBRARY_PATH=", "/usr/local/bin/shoal-agent", "--help"])
            #expect(help.status == 0, "\(help.stderr)")
            for subcommand in ["enroll", "run", "apply"] {
                #expect(help.stdout.contains(subcommand), "--help lists \(subcommand): \(help.stdout)")
            }

            // A real code path beyond argument parsing: a config it must refuse, in one line.
            let refused = try await node.exec(["/usr/local/bin/shoal-agent", "run", "--config", "/nonexistent/agent.yaml"])
            #expect(refused.status == 1, "\(refused.stdout) \(refused.stderr)")
            #expect(refused.stderr.contains("error:"), "\(refused.stderr)")
        }
    }

    @Test func agentDebInstallsAnEnabledUnitThatWaitsForItsConfigAndRemovesCleanly() async throws {
        let debs = try await buildDebs()
        defer { debs.cleanup() }
        try await Testbed.withNodes(count: 1) { nodes in
            let node = try #require(nodes.first)
            try await node.copyFile(from: debs.agent, to: "/tmp/shoal-agent.deb", mode: 0o644)
            let install = try await node.exec(["dpkg", "-i", "/tmp/shoal-agent.deb"], timeout: .seconds(120))
            #expect(install.status == 0, "\(install.stdout) \(install.stderr)")
            #expect(install.stdout.contains("enabled, not started"), "\(install.stdout)")

            let version = try await node.exec(["shoal-agent", "--version"])
            #expect(trimmed(version.stdout) == AgentVersion.current, "\(version.stderr)")
            let unit = try await node.exec(["systemctl", "cat", "shoal-agent"])
            #expect(unit.status == 0, "\(unit.stderr)")
            #expect(unit.stdout.contains("# /lib/systemd/system/shoal-agent.service"), "\(unit.stdout)")
            #expect(unit.stdout.contains("ExecStart=/usr/bin/shoal-agent run --config /etc/shoal/agent.yaml"), "\(unit.stdout)")
            #expect(!unit.stdout.contains("/usr/local/bin"), "\(unit.stdout)")
            #expect(trimmed(try await node.exec(["systemctl", "is-enabled", "shoal-agent"]).stdout) == "enabled")
            let example = try await node.exec(["cat", "/etc/shoal/agent.yaml.example"])
            #expect(example.stdout.contains("coordinator_url:"), "\(example.stderr)")
            let conffiles = try await node.exec(["dpkg-query", "--showformat=${Conffiles}", "--show", "shoal-agent"])
            #expect(conffiles.stdout.contains("/etc/shoal/agent.yaml.example"), "\(conffiles.stdout)")

            // Enabled but without /etc/shoal/agent.yaml it does not run, even when asked.
            _ = try await node.exec(["systemctl", "start", "shoal-agent"])
            let state = try await node.exec(["systemctl", "show", "-p", "ActiveState", "-p", "ConditionResult", "shoal-agent"])
            #expect(state.stdout.contains("ActiveState=inactive") && state.stdout.contains("ConditionResult=no"), "\(state.stdout)")

            // With a config it starts; removal stops it and takes binary and unit away.
            try await node.writeFile(
                path: "/etc/shoal/agent.yaml",
                contents: Data("coordinator_url: https://\(node.hostIP):9\nstate_dir: /var/lib/shoal-agent\nca_fingerprint: sha256:\(String(repeating: "ab", count: 32))\njoin_token: shoal_unused\n".utf8),
                mode: 0o600
            )
            _ = try await node.exec(["systemctl", "start", "shoal-agent"])
            let started = try await node.exec(["systemctl", "show", "-p", "ConditionResult", "-p", "ExecMainStartTimestampMonotonic", "shoal-agent"])
            #expect(started.stdout.contains("ConditionResult=yes"), "\(started.stdout)")
            #expect(!started.stdout.contains("ExecMainStartTimestampMonotonic=0\n"), "the agent process was started: \(started.stdout)")

            let remove = try await node.exec(["dpkg", "-r", "shoal-agent"], timeout: .seconds(120))
            #expect(remove.status == 0, "\(remove.stdout) \(remove.stderr)")
            #expect(try await node.exec(["test", "-e", "/usr/bin/shoal-agent"]).status != 0)
            #expect(try await node.exec(["test", "-e", "/lib/systemd/system/shoal-agent.service"]).status != 0)
            #expect(try await node.exec(["pgrep", "-x", "shoal-agent"]).status != 0, "no agent process left")
            let afterRemove = try await node.exec(["systemctl", "show", "-p", "LoadState", "-p", "ActiveState", "shoal-agent"])
            #expect(afterRemove.stdout.contains("ActiveState=inactive"), "\(afterRemove.stdout)")
            let status = try await node.exec(["dpkg-query", "--showformat=${Status}", "--show", "shoal-agent"])
            #expect(trimmed(status.stdout) == "deinstall ok config-files", "conffiles stay until purge: \(status.stdout)")

            let purge = try await node.exec(["dpkg", "--purge", "shoal-agent"], timeout: .seconds(120))
            #expect(purge.status == 0, "\(purge.stdout) \(purge.stderr)")
            #expect(try await node.exec(["test", "-e", "/etc/shoal/agent.yaml.example"]).status != 0)
            #expect(try await node.exec(["test", "-e", "/etc/systemd/system/multi-user.target.wants/shoal-agent.service"]).status != 0)
            let gone = try await node.exec(["systemctl", "show", "-p", "LoadState", "shoal-agent"])
            #expect(trimmed(gone.stdout) == "LoadState=not-found", "\(gone.stdout)")
            #expect(try await node.exec(["dpkg-query", "--show", "shoal-agent"]).status != 0)
        }
    }

    @Test func coordinatorDebInstallsWithItsUserAndListsTheShippedProfiles() async throws {
        let debs = try await buildDebs()
        defer { debs.cleanup() }
        #expect(Self.shippedProfiles.count >= 8, "\(Self.shippedProfiles)")
        try await Testbed.withNodes(count: 1) { nodes in
            let node = try #require(nodes.first)
            try await node.copyFile(from: debs.coordinator, to: "/tmp/shoal-coordinator.deb", mode: 0o644)
            // apt pulls what minbase lacks (libsqlite3-0) through the harness proxy.
            let install = try await node.exec(
                ["sh", "-c", "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q /tmp/shoal-coordinator.deb"],
                timeout: .seconds(600)
            )
            #expect(install.status == 0, "\(install.stdout.suffix(2000)) \(install.stderr.suffix(2000))")

            let user = try await node.exec(["getent", "passwd", "shoal"])
            #expect(user.status == 0 && user.stdout.contains(":/var/lib/shoal:"), "\(user.stdout)")
            let dataDir = try await node.exec(["stat", "-c", "%U:%G %a", "/var/lib/shoal"])
            #expect(trimmed(dataDir.stdout) == "shoal:shoal 700", "\(dataDir.stdout) \(dataDir.stderr)")
            let unit = try await node.exec(["systemctl", "cat", "shoal-coordinator"])
            #expect(unit.stdout.contains("ExecStart=/usr/bin/coordinator serve --data-dir /var/lib/shoal"), "\(unit.stdout) \(unit.stderr)")
            #expect(trimmed(try await node.exec(["systemctl", "is-enabled", "shoal-coordinator"]).stdout) == "enabled")

            // Listed from /usr/share/shoal/profiles: the node has no source tree to fall back on.
            let list = try await node.exec(["coordinator", "profile", "list"])
            #expect(list.status == 0, "\(list.stderr)")
            let listed = list.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
            #expect(listed == Self.shippedProfiles, "\(list.stdout)")
            #expect(list.stdout.contains("[/usr/share/shoal/profiles/base-hardening.yaml]"))
            let shipped = try await node.exec(["ls", "/usr/share/shoal/profiles"])
            #expect(shipped.stdout.split(separator: "\n").map(String.init) == Self.shippedProfiles.map { $0 + ".yaml" })
            let show = try await node.exec(["coordinator", "profile", "show", "base-hardening"])
            let source = try String(contentsOfFile: Testbed.packageRoot + "/coordinator/profiles/base-hardening.yaml", encoding: .utf8)
            let header = "# /usr/share/shoal/profiles/base-hardening.yaml\n"
            #expect(show.stdout.hasPrefix(header), "\(show.stdout.prefix(200)) \(show.stderr)")
            #expect(trimmed(String(show.stdout.dropFirst(header.count))) == trimmed(source))

            // The packaged unit runs the packaged binary as 'shoal' once a fleet exists.
            let initFleet = try await node.exec(
                ["runuser", "-u", "shoal", "--", "coordinator", "init", "--data-dir", "/var/lib/shoal", "--advertise", "https://127.0.0.1:8443"],
                timeout: .seconds(120)
            )
            #expect(initFleet.status == 0, "\(initFleet.stdout) \(initFleet.stderr)")
            let start = try await node.exec(["systemctl", "start", "shoal-coordinator"], timeout: .seconds(60))
            #expect(start.status == 0, "\(start.stderr)")
            var listening = false
            for _ in 0..<60 where !listening {
                let log = try await node.exec(["journalctl", "-u", "shoal-coordinator", "--no-pager", "-o", "cat"])
                listening = log.stdout.contains("coordinator listening")
                if !listening { try await Task.sleep(for: .milliseconds(500)) }
            }
            let journal = try await node.exec(["journalctl", "-u", "shoal-coordinator", "--no-pager", "-o", "cat"])
            #expect(listening, "\(journal.stdout.suffix(2000))")
            let owner = try await node.exec(["ps", "-o", "user=", "-C", "coordinator"])
            #expect(trimmed(owner.stdout) == "shoal", "\(owner.stdout)")
            // Least privilege, as loaded: no capabilities, and systemd's own score at most 2.0.
            let status = try await node.exec(["sh", "-c", "grep -E '^(Uid|CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/$(pgrep -x coordinator)/status"])
            #expect(status.stdout.contains("CapEff:\t0000000000000000") && status.stdout.contains("CapBnd:\t0000000000000000"), "\(status.stdout)")
            #expect(status.stdout.contains("NoNewPrivs:\t1") && status.stdout.contains("Seccomp:\t2"), "\(status.stdout)")
            let security = try await node.exec(["systemd-analyze", "security", "--no-pager", "shoal-coordinator"])
            let score = security.stdout.firstMatch(of: /Overall exposure level for [^:]+: (\d+\.\d+)/).flatMap { Double($0.output.1) }
            #expect(score.map { $0 <= 2.0 } == true, "\(security.stdout.suffix(1500)) \(security.stderr)")
            // The sandboxed service still serves and writes its database: a token through the API.
            let token = try await node.exec(["runuser", "-u", "shoal", "--", "coordinator", "token", "create", "--data-dir", "/var/lib/shoal"], timeout: .seconds(60))
            #expect(token.status == 0 && token.stdout.hasPrefix("shoal_"), "\(token.stdout) \(token.stderr) \(journal.stdout.suffix(1000))")
            let files = try await node.exec(["find", "/var/lib/shoal", "!", "-user", "shoal"])
            #expect(trimmed(files.stdout).isEmpty, "everything in the data dir belongs to shoal: \(files.stdout)")

            let remove = try await node.exec(["dpkg", "-r", "shoal-coordinator"], timeout: .seconds(120))
            #expect(remove.status == 0, "\(remove.stdout) \(remove.stderr)")
            #expect(try await node.exec(["pgrep", "-x", "coordinator"]).status != 0, "stopped on remove")
            #expect(try await node.exec(["test", "-e", "/usr/bin/coordinator"]).status != 0)
            #expect(try await node.exec(["test", "-e", "/usr/share/shoal/profiles"]).status != 0)
            #expect(try await node.exec(["test", "-e", "/var/lib/shoal/coordinator.yaml"]).status == 0, "the fleet is kept")
        }
    }
}
}
