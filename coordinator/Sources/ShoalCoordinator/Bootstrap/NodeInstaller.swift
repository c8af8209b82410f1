import Foundation
import ShoalClient
import ShoalCore

/// Installs or updates the agent on one host that passed preflight, waits until it is ready,
/// and on any failure undoes what this run wrote (see `InstallJournal`).
final class NodeInstaller {
    let session: SSHSession
    let client: APIClient
    let agent: AgentBinary
    let caPEM: String
    let options: EnrollOptions
    var journal = InstallJournal()
    /// The join token this run wrote to the host; the node that comes up must have used it.
    var tokenID: String?

    init(session: SSHSession, client: APIClient, agent: AgentBinary, caPEM: String, options: EnrollOptions) {
        self.session = session
        self.client = client
        self.agent = agent
        self.caPEM = caPEM
        self.options = options
    }

    var host: String { session.target.display }

    func run() async -> (outcome: EnrollResult.Outcome, nodeID: String?, reason: String) {
        do {
            let result = try await install()
            if !journal.commitScript.isEmpty { _ = try? await session.run(journal.commitScript, timeout: .seconds(60)) }
            return result
        } catch {
            let message = (error as? ShoalError)?.message ?? "\(error)"
            return (.failed, journal.enrolledNodeID, message + (await rollBack()))
        }
    }

    private func install() async throws -> (outcome: EnrollResult.Outcome, nodeID: String?, reason: String) {
        let before = RemoteAgentState(output: try await session.check("reading the agent's current state", RemoteAgentState.script, timeout: .seconds(60)))
        let identityValid = try await identityIsValid(before.nodeID)
        let keepIdentity = before.configExists && identityValid
        let binaryChanged = before.binarySHA256 != agent.sha256
        let unitChanged = before.unitSHA256 != Data(AgentInstallLayout.unitText.utf8).sha256Hex
        let running = before.active == "active"
        if keepIdentity && !binaryChanged && !unitChanged && running && before.enabled == "enabled" {
            return (.unchanged, before.nodeID, "already enrolled with this agent (sha256 \(agent.sha256.prefix(12))); nothing changed")
        }
        if !keepIdentity && running {
            try await session.check("stopping the old agent", "systemctl stop \(AgentInstallLayout.unitName)")
            journal.recordService(undo: "systemctl start \(AgentInstallLayout.unitName)")
        }
        if !keepIdentity && before.stateDirectoryExists {
            // An identity the coordinator no longer accepts (revoked, other fleet, or no config
            // beside it): set aside, so the agent enrolls afresh with the new token.
            try await replaceAside(AgentInstallLayout.stateDirectory)
        }
        if binaryChanged { try await uploadBinary(replacing: !before.binarySHA256.isEmpty) }
        if !keepIdentity { try await writeConfig(directoryExists: before.configDirectoryExists, replacing: before.configExists) }
        if unitChanged {
            try await writeFile(AgentInstallLayout.unitPath, Data(AgentInstallLayout.unitText.utf8), mode: "0644", replacing: !before.unitSHA256.isEmpty)
            try await session.check("systemctl daemon-reload", "systemctl daemon-reload")
        }
        if before.enabled != "enabled" {
            try await session.check("enabling the agent", "systemctl enable --quiet \(AgentInstallLayout.unitName)")
            journal.recordService(undo: "systemctl disable --quiet \(AgentInstallLayout.unitName)")
        }
        if !before.stateDirectoryExists {
            journal.record(undo: "rm -rf \(AgentInstallLayout.stateDirectory)")
        }
        // A heartbeat newer than the last one before the restart proves the new agent runs.
        let previousBeat = keepIdentity ? (try? await client.get("/v1/nodes/\(before.nodeID)", as: NodeView.self))?.lastHeartbeatAt : nil
        try await session.check("starting the agent", "systemctl restart \(AgentInstallLayout.unitName)")
        journal.recordService(undo: running ? "systemctl restart \(AgentInstallLayout.unitName)" : "systemctl stop \(AgentInstallLayout.unitName)")
        let nodeID = keepIdentity ? before.nodeID : try await waitForIdentity()
        if !keepIdentity {
            // Checked before the node is ours to revoke on failure: one that is not, is left alone.
            guard let tokenID else { throw ShoalError(.bootstrapInstall, "no join token was written to \(host)") }
            try await EnrolledNodeCheck.verify(nodeID: nodeID, tokenID: tokenID, host: host, client: client)
            journal.enrolledNodeID = nodeID
        }
        try await waitForReady(nodeID, heartbeatAfter: previousBeat)
        if keepIdentity {
            let what = [binaryChanged ? "agent binary" : nil, unitChanged ? "unit" : nil].compactMap { $0 }
            return (.updated, nodeID, what.isEmpty ? "agent was not running; started it" : "replaced the \(what.joined(separator: " and ")) and restarted the agent")
        }
        return (.enrolled, nodeID, "installed, enrolled and ready")
    }

    /// Whether the node's stored identity still counts: the coordinator knows it, not revoked.
    private func identityIsValid(_ nodeID: String) async throws -> Bool {
        guard !nodeID.isEmpty else { return false }
        do {
            return try await client.get("/v1/nodes/\(nodeID)", as: NodeView.self).status != "revoked"
        } catch let error as ShoalError where error.code == .notFound {
            return false
        }
    }

    private func replaceAside(_ path: String) async throws {
        let backup = InstallJournal.backupPath(path)
        try await session.check("setting aside \(path)", "rm -rf \(backup) && mv \(path) \(backup)")
        journal.record(undo: "rm -rf \(path) && mv \(backup) \(path)", commit: "rm -rf \(backup)")
    }

    /// Streams the binary through ssh's stdin to a temporary file, checks its SHA-256 on the
    /// node, and only then moves it into place.
    private func uploadBinary(replacing: Bool) async throws {
        let target = AgentInstallLayout.binaryPath
        let temporary = "\(target).enroll-upload"
        journal.record(undo: "rm -f \(temporary)")
        try await session.check("uploading the agent binary", "mkdir -p \(ShellQuote.quote((target as NSString).deletingLastPathComponent)) && umask 077 && cat > \(temporary)", stdinFile: agent.path, timeout: .seconds(900))
        let sum = try await session.check("checking the uploaded binary", "sha256sum \(temporary) | cut -d' ' -f1").trimmingCharacters(in: .whitespacesAndNewlines)
        guard sum == agent.sha256 else {
            throw ShoalError(.bootstrapInstall, "the agent binary arrived corrupted on \(host) (sha256 \(sum.prefix(12)), expected \(agent.sha256.prefix(12))); run enroll again")
        }
        try await backUpIfReplacing(target, replacing)
        try await session.check("installing the agent binary", "chmod 0755 \(temporary) && mv -f \(temporary) \(target)")
    }

    private func writeConfig(directoryExists: Bool, replacing: Bool) async throws {
        if !directoryExists {
            try await session.check("creating \(AgentInstallLayout.configDirectory)", "mkdir -m 0755 -p \(AgentInstallLayout.configDirectory)")
            journal.record(undo: "rm -rf \(AgentInstallLayout.configDirectory)")
        }
        let token = try await client.post(
            "/v1/tokens", body: TokenCreateRequest(ttlSeconds: options.tokenTTLSeconds, uses: 1, labels: options.labels), as: TokenCreateResponse.self
        )
        tokenID = token.tokenID
        var config = AgentConfig(coordinatorURLs: options.coordinatorURLs, stateDir: AgentInstallLayout.stateDirectory)
        config.caCertificate = caPEM
        config.joinToken = token.token
        try await writeFile(AgentInstallLayout.configPath, Data(try config.yamlText().utf8), mode: "0600", replacing: replacing)
    }

    private func writeFile(_ path: String, _ contents: Data, mode: String, replacing: Bool) async throws {
        let temporary = path + ".enroll-tmp"
        journal.record(undo: "rm -f \(temporary)")
        try await session.check("writing \(path)", "umask 077 && cat > \(temporary) && chmod \(mode) \(temporary)", stdin: contents)
        try await backUpIfReplacing(path, replacing)
        try await session.check("installing \(path)", "mv -f \(temporary) \(path)")
    }

    /// Records how to undo putting a file at `path`: restore the old one, or remove the new.
    private func backUpIfReplacing(_ path: String, _ replacing: Bool) async throws {
        guard replacing else {
            journal.record(undo: "rm -f \(path)")
            return
        }
        let backup = InstallJournal.backupPath(path)
        try await session.check("backing up \(path)", "cp -p \(path) \(backup)")
        journal.record(undo: "mv -f \(backup) \(path)", commit: "rm -f \(backup)")
    }

    /// The node id the agent stored after enrolling; fails early when the unit has failed.
    private func waitForIdentity() async throws -> String {
        let deadline = ContinuousClock.now + options.readyTimeout
        while ContinuousClock.now < deadline {
            let state = RemoteAgentState(output: try await session.check("reading the agent's state", RemoteAgentState.script, timeout: .seconds(60)))
            if !state.nodeID.isEmpty { return state.nodeID }
            if state.active == "failed" { throw ShoalError(.bootstrapNotReady, "the agent service failed on \(host): \(await journalTail())") }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw ShoalError(.bootstrapNotReady, "the agent on \(host) did not enroll within \(options.readyTimeout): \(await journalTail())")
    }

    /// Ready = the coordinator has a heartbeat with facts from this node, newer than `previous`.
    private func waitForReady(_ nodeID: String, heartbeatAfter previous: Date?) async throws {
        let deadline = ContinuousClock.now + options.readyTimeout
        var last = "unknown"
        while ContinuousClock.now < deadline {
            if let node = try? await client.get("/v1/nodes/\(nodeID)", as: NodeView.self) {
                last = node.status
                if node.status == "ready", node.facts != nil, let beat = node.lastHeartbeatAt, beat > previous ?? .distantPast { return }
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw ShoalError(.bootstrapNotReady, "node \(nodeID) on \(host) is '\(last)', not ready with a fresh heartbeat, after \(options.readyTimeout): \(await journalTail())")
    }

    private func journalTail() async -> String {
        let log = try? await session.run("journalctl -u \(AgentInstallLayout.unitName) -n 8 --no-pager -o cat 2>&1", timeout: .seconds(30))
        return "last agent log lines: " + (log?.stdout.split(separator: "\n").suffix(8).joined(separator: " | ") ?? "unavailable")
    }

    /// Undoes this run's changes; returns a note for the failure reason.
    private func rollBack() async -> String {
        guard !journal.isEmpty else { return "; nothing was written to the host" }
        var notes: [String] = []
        if let nodeID = journal.enrolledNodeID {
            let revoked = (try? await client.post("/v1/nodes/\(nodeID)/revoke", body: [String: String](), as: NodeView.self)) != nil
            notes.append(revoked ? "revoked \(nodeID)" : "could not revoke \(nodeID); run 'coordinator nodes revoke \(nodeID)'")
        }
        let undo = try? await session.run(journal.undoScript, timeout: .seconds(120))
        notes.append(undo?.succeeded == true ? "removed what this run wrote" : "could not undo every change on the host; check \(AgentInstallLayout.configDirectory) and \(AgentInstallLayout.binaryPath)")
        return "; " + notes.joined(separator: ", ")
    }
}
