import Foundation

/// One booted testbed node. Valid inside the `Testbed.withNodes` body that made it.
public struct TestbedNode: Sendable {
    public let name: String
    /// The node's address (10.213.N.2); the host reaches it directly.
    public let ip: String
    /// The host's address on the node's link (10.213.N.1): the node reaches services the
    /// host listens on here, and its apt proxy.
    public let hostIP: String
    /// Private key the node's root account accepts over SSH.
    public let sshKeyPath: String
    public let sshUser = "root"

    /// The netns, veth and machine name of this node on the host.
    public var resourceName: String { Testbed.resourcePrefix + name }

    /// Runs `argv` inside the node as root (via nsenter), with a clean environment.
    public func exec(_ argv: [String], stdin: Data? = nil, timeout: Duration? = nil) async throws -> TestbedResult {
        guard !argv.isEmpty else { throw TestbedError("exec needs a command to run in node \(name)") }
        return try await Testbed.run(["exec", name, "--"] + argv, stdin: stdin, timeout: timeout)
    }

    /// Writes `contents` to `path` inside the node (parents created, replaced atomically).
    public func writeFile(path: String, contents: Data, mode: Int = 0o644) async throws {
        let script = #"mkdir -p "$(dirname "$1")" && cat >"$1.testbed-tmp" && chmod "$2" "$1.testbed-tmp" && mv -f "$1.testbed-tmp" "$1""#
        let result = try await exec(["/bin/sh", "-c", script, "sh", path, String(mode, radix: 8)], stdin: contents)
        guard result.succeeded else {
            throw TestbedError("could not write \(path) in node \(name) (exit \(result.status)): \(result.stderr)")
        }
    }

    /// Copies a host file (e.g. a static binary) into the node.
    public func copyFile(from hostPath: String, to path: String, mode: Int = 0o755) async throws {
        let result = try await Testbed.run(["copy", name, hostPath, path, String(mode, radix: 8)])
        guard result.succeeded else {
            throw TestbedError("could not copy \(hostPath) to \(path) in node \(name): \(result.stderr)")
        }
    }

    /// Options for `ssh` to reach this node as root with the harness key, non-interactively.
    public var sshArguments: [String] {
        [
            "-i", sshKeyPath, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10",
            "\(sshUser)@\(ip)",
        ]
    }

    /// Runs `command` on the node over real SSH from the host.
    public func ssh(_ command: String, timeout: Duration? = .seconds(60)) async throws -> TestbedResult {
        try await TestbedProcess.run("/usr/bin/ssh", sshArguments + ["--", command], timeout: timeout)
    }
}
