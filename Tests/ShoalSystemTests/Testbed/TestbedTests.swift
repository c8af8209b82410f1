import Foundation
import ShoalTestSupport
import Testing

/// The real-node testbed: Debian 12 nodes booted with systemd under systemd-nspawn, each in
/// its own network namespace. These prove what other system tests rely on: a real systemd,
/// SSH in, the host reachable from the node, apt through the harness proxy, project binaries
/// runnable inside, and nothing left on the host afterwards.
extension SystemTests {
@Suite(.serialized)
struct TestbedTests {
    private func trimmed(_ text: String) -> String { text.trimmingCharacters(in: .whitespacesAndNewlines) }

    @Test func nodesBootToRunningSystemdWithTheirOwnNameAndAddress() async throws {
        try await Testbed.withNodes(count: 2) { nodes in
            #expect(nodes.count == 2)
            #expect(Set(nodes.map(\.ip)).count == 2, "each node has its own subnet")
            for node in nodes {
                let state = try await node.exec(["systemctl", "is-system-running"])
                #expect(["running", "degraded"].contains(trimmed(state.stdout)), "\(node.name): \(state.stdout) \(state.stderr)")
                #expect(trimmed(try await node.exec(["cat", "/proc/1/comm"]).stdout) == "systemd")
                #expect(trimmed(try await node.exec(["hostname"]).stdout) == node.name)
                #expect(trimmed(try await node.exec(["sh", "-c", ". /etc/os-release; echo $VERSION_CODENAME"]).stdout) == "bookworm")
                let address = try await node.exec(["ip", "-4", "-o", "addr", "show", "dev", "eth0"])
                #expect(address.stdout.contains("\(node.ip)/30"))
                let route = try await node.exec(["ip", "route", "show", "default"])
                #expect(route.stdout.contains("via \(node.hostIP)"))
                let failing = try await node.exec(["sh", "-c", "exit 7"])
                #expect(failing.status == 7, "exec passes the node command's exit status through")
            }
        }
    }

    @Test func hostLogsInOverSSHWithTheHarnessKeyOnly() async throws {
        try await Testbed.withNodes(count: 1) { nodes in
            let node = try #require(nodes.first)
            let login = try await node.ssh("hostname; id -u")
            #expect(login.status == 0, "\(login.stderr)")
            #expect(login.stdout.split(separator: "\n").map(String.init) == [node.name, "0"])

            // A key the node was not given is refused: BatchMode never falls back to a password.
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("testbed-key-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: scratch) }
            let strangerKey = scratch.appendingPathComponent("id_ed25519").path
            let keygen = try await runHost("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", strangerKey])
            #expect(keygen.status == 0)
            var stranger = node.sshArguments
            let keyIndex = try #require(stranger.firstIndex(of: node.sshKeyPath))
            stranger[keyIndex] = strangerKey
            let refused = try await runHost("/usr/bin/ssh", ["-o", "IdentitiesOnly=yes"] + stranger + ["true"])
            #expect(refused.status == 255, "\(refused.stderr)")
        }
    }

    @Test func nodeReachesATCPListenerOnTheHostSideAddress() async throws {
        try await Testbed.withNodes(count: 1) { nodes in
            let node = try #require(nodes.first)
            let listener = try HostTCPListener(address: node.hostIP)
            let message = "hello from \(node.name)"
            let sent = try await node.exec(
                ["bash", "-c", "echo \"$1\" >/dev/tcp/\(node.hostIP)/\(listener.port)", "bash", message],
                timeout: .seconds(30)
            )
            #expect(sent.status == 0, "\(sent.stderr)")
            #expect(trimmed(try listener.acceptAndRead()) == message)
        }
    }

    @Test func aptInstallsAPackageThroughTheHarnessProxy() async throws {
        try await Testbed.withNodes(count: 1) { nodes in
            let node = try #require(nodes.first)
            let proxy = try await node.exec(["apt-config", "dump", "Acquire::http::Proxy"])
            #expect(proxy.stdout.contains("http://\(node.hostIP):3142/"))
            #expect(try await node.exec(["sh", "-c", "command -v hello"]).status != 0, "not in the base image")
            let install = try await node.exec(
                ["sh", "-c", "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q hello"],
                timeout: .seconds(600)
            )
            #expect(install.status == 0, "\(install.stdout.suffix(2000)) \(install.stderr.suffix(2000))")
            let hello = try await node.exec(["hello"])
            #expect(hello.status == 0)
            #expect(trimmed(hello.stdout) == "Hello, world!")
        }
    }

    @Test func debugAgentRunsInsideANodeThroughReadOnlyBinds() async throws {
        let agent = Testbed.packageRoot + "/.build/debug/agent"
        try #require(FileManager.default.isExecutableFile(atPath: agent), "build first: swift build")
        let binds = [Testbed.packageRoot + "/.build"] + (try await Testbed.runtimeBinds(forExecutable: agent))
        #expect(binds.contains { $0.hasPrefix("/opt/swift") } || !FileManager.default.fileExists(atPath: "/opt/swift"))
        try await Testbed.withNodes(count: 1, binds: binds) { nodes in
            let node = try #require(nodes.first)
            let help = try await node.exec([agent, "--help"])
            #expect(help.status == 0, "\(help.stderr)")
            #expect(help.stdout.contains("USAGE: agent"))
            let writeIntoBind = try await node.exec(["touch", Testbed.packageRoot + "/.build/testbed-write-probe"])
            #expect(writeIntoBind.status != 0, "binds are read-only")
        }
    }

    @Test func filesWrittenAndCopiedIntoANodeLandThereWithTheirMode() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("testbed-copy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let hostScript = scratch.appendingPathComponent("greet").path
        try Data("#!/bin/sh\necho copied-ok\n".utf8).write(to: URL(fileURLWithPath: hostScript))
        try await Testbed.withNodes(count: 1) { nodes in
            let node = try #require(nodes.first)
            try await node.writeFile(path: "/etc/shoal/test/config.json", contents: Data("{\"a\":1}\n".utf8), mode: 0o600)
            #expect(try await node.exec(["cat", "/etc/shoal/test/config.json"]).stdout == "{\"a\":1}\n")
            #expect(trimmed(try await node.exec(["stat", "-c", "%a %U", "/etc/shoal/test/config.json"]).stdout) == "600 root")
            try await node.copyFile(from: hostScript, to: "/usr/local/bin/greet")
            let greet = try await node.exec(["greet"])
            #expect(greet.status == 0)
            #expect(trimmed(greet.stdout) == "copied-ok")
        }
    }

    @Test func teardownLeavesNoNamespaceLinkMountOrProcessEvenWhenTheBodyThrows() async throws {
        struct BodyFailed: Error {}
        var seen: [String] = []
        try await Testbed.withNodes(count: 1) { nodes in
            seen += nodes.map(\.resourceName)
            let whileUp = try leftovers(of: nodes.map(\.resourceName))
            #expect(whileUp.count >= 4, "while up: netns, veth, mount, dir, processes: \(whileUp)")
        }
        await #expect(throws: BodyFailed.self) {
            try await Testbed.withNodes(count: 1) { nodes in
                seen += nodes.map(\.resourceName)
                throw BodyFailed()
            }
        }
        #expect(seen.count == 2)
        #expect(try leftovers(of: seen).isEmpty)
    }

    /// Everything of the given nodes still present on the host: netns, links, mounts under the
    /// harness state dir, processes naming the node.
    private func leftovers(of resourceNames: [String]) throws -> [String] {
        let netns = try String(decoding: runSync("/usr/sbin/ip", ["netns", "list"]), as: UTF8.self)
        let links = try String(decoding: runSync("/usr/sbin/ip", ["-o", "link", "show"]), as: UTF8.self)
        let mounts = try String(contentsOfFile: "/proc/mounts", encoding: .utf8)
        var found: [String] = []
        for resource in resourceNames {
            let name = String(resource.dropFirst(Testbed.resourcePrefix.count))
            if netns.contains(resource) { found.append("netns \(resource)") }
            if links.contains(" \(resource):") || links.contains(" \(resource)@") { found.append("link \(resource)") }
            if mounts.contains("\(Testbed.stateDirectory)/nodes/\(name)/") { found.append("mount of \(name)") }
            if FileManager.default.fileExists(atPath: "\(Testbed.stateDirectory)/nodes/\(name)") { found.append("dir of \(name)") }
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int32(entry) != nil {
                guard let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
                let text = String(decoding: cmdline.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
                if text.contains("--machine=\(resource) ") || text.contains("--tag \(resource)") { found.append("process \(entry)") }
            }
        }
        return found
    }

    private func runSync(_ executable: String, _ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return data
    }

    private func runHost(_ executable: String, _ arguments: [String]) async throws -> TestbedResult {
        try await Testbed.runOnHost(executable, arguments, timeout: .seconds(60))
    }
}
}
