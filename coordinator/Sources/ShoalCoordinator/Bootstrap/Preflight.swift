import Foundation

/// The checks `coordinator enroll` runs on a host before writing anything to it.
struct Preflight: Sendable {
    var thresholds: PreflightThresholds
    var agent: AgentBinary
    var coordinatorURL: URL
    /// Coordinator clock minus local clock, if it could be read (else the local clock stands in).
    var coordinatorClockOffset: TimeInterval?

    /// Runs every check; returns them and the session to use afterwards (with sudo if needed).
    func run(_ session: SSHSession) async throws -> (checks: [PreflightCheck], session: SSHSession) {
        let login = try await session.runAsLoginUser("id -u")
        guard login.succeeded else {
            let why = login.timedOut ? "timed out" : login.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            return ([PreflightCheck("ssh", passed: false, "cannot log in over SSH (BatchMode, no passwords): \(why); check the host, user, key (-i) and known_hosts")], session)
        }
        var checks = [PreflightCheck("ssh", passed: true, "logged in as \(session.target.user ?? "the default user")")]
        var active = session
        if login.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0" {
            checks.append(PreflightCheck("privileges", passed: true, "root"))
        } else {
            let sudo = try await session.runAsLoginUser("sudo -n true")
            if sudo.succeeded {
                checks.append(PreflightCheck("privileges", passed: true, "passwordless sudo"))
                active = session.withSudo(true)
            } else {
                checks.append(PreflightCheck("privileges", passed: false, "not root and 'sudo -n true' fails (\(sudo.stderr.trimmingCharacters(in: .whitespacesAndNewlines).prefix(200))): log in as root or give this user passwordless sudo"))
            }
        }
        let host = (coordinatorURL.host ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let port = coordinatorURL.port ?? 443
        let before = Date()
        let output = try await session.runAsLoginUser(NodeProbe.script(coordinatorHost: host, coordinatorPort: port, coordinatorURL: coordinatorURL.absoluteString))
        let after = Date()
        guard output.succeeded else {
            checks.append(PreflightCheck("probe", passed: false, "could not inspect the host (exit \(output.status)): \(output.stderr.prefix(300))"))
            return (checks, active)
        }
        let probe = NodeProbe(output: output.stdout, localMidpoint: before.addingTimeInterval(after.timeIntervalSince(before) / 2))
        checks += evaluate(probe, coordinatorHostPort: "\(host):\(port)")
        return (checks, active)
    }

    func evaluate(_ probe: NodeProbe, coordinatorHostPort: String) -> [PreflightCheck] {
        var checks = [osCheck(probe)]
        let arch = probe["arch"]
        checks.append(agent.runs(on: arch)
            ? PreflightCheck("architecture", passed: true, arch)
            : PreflightCheck("architecture", passed: false, "node is \(arch.isEmpty ? "unknown" : arch), the agent binary is \(agent.architecture): pass --agent-binary built for \(arch)"))
        let cpus = Int(probe["cpus"]) ?? 0
        checks.append(resource("cpu", ok: cpus >= thresholds.minCPUs, "\(cpus) CPU(s), need \(thresholds.minCPUs)"))
        let memoryGiB = (Double(probe["mem_kib"]) ?? 0) / 1_048_576
        checks.append(resource("memory", ok: memoryGiB >= thresholds.minMemoryGiB, String(format: "%.1f GiB RAM, need %.1f", memoryGiB, thresholds.minMemoryGiB)))
        let diskGiB = (Double(probe["disk_kib"]) ?? 0) / 1_048_576
        checks.append(resource("disk", ok: diskGiB >= thresholds.minDiskGiB, String(format: "%.1f GiB free on /, need %.1f", diskGiB, thresholds.minDiskGiB)))
        checks.append(probe["pid1"] == "systemd" || probe["systemd_run"] == "yes"
            ? PreflightCheck("systemd", passed: true, "systemd is PID 1")
            : PreflightCheck("systemd", passed: false, "PID 1 is '\(probe["pid1"])', not systemd: the agent runs as a systemd service"))
        checks.append(clockCheck(probe))
        checks.append(probe["reach"] == "no" || probe["reach"].isEmpty
            ? PreflightCheck("coordinator", passed: false, "the node cannot open a TCP connection to \(coordinatorHostPort): check routes and firewalls, or pass the URL nodes use with --coordinator-url")
            : PreflightCheck("coordinator", passed: true, "reaches \(coordinatorHostPort)"))
        return checks
    }

    /// Ubuntu 22.04+ and Debian 12+: the static agent needs glibc >= 2.35 (Debian 12
    /// ships 2.36, Ubuntu 22.04 2.35).
    func osCheck(_ probe: NodeProbe) -> PreflightCheck {
        let id = probe["os_id"]
        let version = Double(probe["os_version"]) ?? 0
        let name = probe["os_name"].isEmpty ? "\(id) \(probe["os_version"])" : probe["os_name"]
        let minimum: Double? = id == "ubuntu" ? 22.04 : id == "debian" ? 12 : nil
        guard let minimum else {
            return PreflightCheck("os", passed: false, "\(name) is not supported: the agent needs Ubuntu >= 22.04 or Debian >= 12 (glibc >= 2.35)")
        }
        return version >= minimum
            ? PreflightCheck("os", passed: true, name)
            : PreflightCheck("os", passed: false, "\(name) is too old: need \(id == "ubuntu" ? "Ubuntu 22.04" : "Debian 12") or newer (glibc >= 2.35)")
    }

    func clockCheck(_ probe: NodeProbe) -> PreflightCheck {
        guard let nodeTime = Double(probe["time"]) else {
            return PreflightCheck("clock", passed: false, "could not read the node's clock")
        }
        let reference = probe.localMidpoint.timeIntervalSince1970 + (coordinatorClockOffset ?? 0)
        let skew = nodeTime - reference
        let against = coordinatorClockOffset == nil ? "this host's clock (the coordinator's could not be read)" : "the coordinator"
        return abs(skew) <= thresholds.maxClockSkewSeconds
            ? PreflightCheck("clock", passed: true, String(format: "%+.0f s from %@", skew, against))
            : PreflightCheck("clock", passed: false, String(format: "%+.0f s from %@ (limit %.0f s): enable NTP (systemd-timesyncd or chrony) on the node", skew, against, thresholds.maxClockSkewSeconds))
    }

    func resource(_ name: String, ok: Bool, _ detail: String) -> PreflightCheck {
        if ok { return PreflightCheck(name, passed: true, detail) }
        if thresholds.force { return PreflightCheck(name, passed: true, warning: true, detail + " (allowed by --force)") }
        return PreflightCheck(name, passed: false, detail + " (lower the minimum with --min-\(name == "cpu" ? "cpus" : name == "memory" ? "memory-gib" : "disk-gib") or use --force)")
    }
}
