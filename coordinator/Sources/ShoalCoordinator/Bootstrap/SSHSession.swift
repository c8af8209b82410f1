import Foundation
import ShoalCore

/// Commands on one host through the system's OpenSSH client, so ~/.ssh/config, ssh-agent,
/// known_hosts and ProxyJump all apply. One multiplexed connection per host (ControlMaster in
/// a private directory) carries every command; `close()` ends it.
public final class SSHSession: Sendable {
    public let target: SSHTarget
    let controlPath: String
    let ssh: String
    /// Set after the first command when the login user is not root and sudo works.
    let useSudo: Bool

    init(target: SSHTarget, controlDirectory: String, useSudo: Bool = false, ssh: String = "/usr/bin/ssh") {
        self.target = target
        // %C is a hash of host, port and user: short enough for the socket path limit.
        self.controlPath = controlDirectory + "/cm-%C"
        self.ssh = ssh
        self.useSudo = useSudo
    }

    func withSudo(_ sudo: Bool) -> SSHSession {
        SSHSession(target: target, controlDirectory: (controlPath as NSString).deletingLastPathComponent, useSudo: sudo, ssh: ssh)
    }

    var baseArguments: [String] {
        // ssh keeps the first value it sees for an option: the operator's come first so they
        // can override the defaults (e.g. ConnectTimeout); BatchMode and the control socket
        // are ours and come first of all.
        var arguments = ["-o", "BatchMode=yes", "-o", "ControlMaster=auto", "-o", "ControlPath=\(controlPath)", "-o", "ControlPersist=300"]
        for option in target.options { arguments += ["-o", option] }
        arguments += ["-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=15"]
        if let port = target.port { arguments += ["-p", String(port)] }
        if let identity = target.identityFile { arguments += ["-i", identity] }
        return arguments
    }

    var destination: String { target.display }

    /// Runs `script` with /bin/sh on the host, as root (directly or through `sudo -n`).
    func run(_ script: String, stdin: Data? = nil, stdinFile: String? = nil, timeout: Duration = .seconds(120)) async throws -> ProcessOutput {
        let shell = "sh -c " + ShellQuote.quote(script)
        let command = useSudo ? "sudo -n " + shell : shell
        return try await BootstrapProcess.run(ssh, baseArguments + ["--", destination, command], stdin: stdin, stdinFile: stdinFile, timeout: timeout)
    }

    /// Runs `script` as the login user, without sudo (the reachability and privilege probes).
    func runAsLoginUser(_ script: String, timeout: Duration = .seconds(60)) async throws -> ProcessOutput {
        try await BootstrapProcess.run(ssh, baseArguments + ["--", destination, "sh -c " + ShellQuote.quote(script)], timeout: timeout)
    }

    /// Like `run`, but a non-zero exit becomes a `ShoalError` naming `what` and the host.
    @discardableResult
    func check(_ what: String, _ script: String, stdin: Data? = nil, stdinFile: String? = nil, timeout: Duration = .seconds(120)) async throws -> String {
        let result = try await run(script, stdin: stdin, stdinFile: stdinFile, timeout: timeout)
        guard result.succeeded else {
            let detail = result.timedOut ? "timed out after \(timeout)" : "exit \(result.status): \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines).suffix(500))"
            throw ShoalError(.bootstrapInstall, "\(what) on \(target.display) failed (\(detail))")
        }
        return result.stdout
    }

    /// The host name ssh would dial for the target after ~/.ssh/config (`Host` aliases,
    /// `HostName`), from `ssh -G`; the target's own host when that cannot be read.
    func resolvedHostname() async -> String {
        let output = try? await BootstrapProcess.run(ssh, baseArguments + ["-G", "--", destination], timeout: .seconds(10))
        let line = output?.stdout.split(separator: "\n").first { $0.hasPrefix("hostname ") }
        return line.map { String($0.dropFirst("hostname ".count)).trimmingCharacters(in: .whitespaces) } ?? target.host
    }

    /// Ends the shared connection. Harmless when none was opened.
    public func close() async {
        _ = try? await BootstrapProcess.run(ssh, baseArguments + ["-O", "exit", destination], timeout: .seconds(10))
    }
}

enum ShellQuote {
    /// One POSIX-shell word, whatever `text` holds.
    static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
