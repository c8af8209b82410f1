import Foundation
import ShoalClient
import ShoalCore

/// What `coordinator unenroll` did.
public struct UnenrollResult: Codable, Sendable {
    public var nodeID: String?
    public var host: String?
    public var removedFromHost: Bool
    public var revoked: Bool
    public var notes: [String]
}

/// `coordinator unenroll (host | node-id)`: removes the agent from the host over SSH when it
/// can be reached, and revokes the node's certificate through the API in any case.
public struct Unenroller: Sendable {
    let connection: OperatorConnection
    let port: Int?
    let identityFile: String?
    let sshOptions: [String]
    /// Asked (with the reason) when a node id was given and the hostname that node reported
    /// no longer resolves to the address it enrolled from; false refuses the whole unenroll.
    let confirmAddressMismatch: @Sendable (String) async -> Bool

    public init(
        connection: OperatorConnection, port: Int?, identityFile: String?, sshOptions: [String],
        confirmAddressMismatch: @escaping @Sendable (String) async -> Bool = { _ in false }
    ) {
        self.connection = connection
        self.port = port
        self.identityFile = identityFile
        self.sshOptions = sshOptions
        self.confirmAddressMismatch = confirmAddressMismatch
    }

    static let removalScript = """
        systemctl disable --now --quiet \(AgentInstallLayout.unitName) 2>/dev/null || true
        rm -f \(AgentInstallLayout.unitPath)
        systemctl daemon-reload
        systemctl reset-failed \(AgentInstallLayout.unitName) 2>/dev/null || true
        rm -f \(AgentInstallLayout.binaryPath)
        rm -rf \(AgentInstallLayout.configDirectory) \(AgentInstallLayout.stateDirectory)
        """

    public func unenroll(_ subject: String) async throws -> UnenrollResult {
        let client = try connection.client()
        do {
            let result = try await unenroll(subject, client: client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    private func unenroll(_ subject: String, client: APIClient) async throws -> UnenrollResult {
        var node = try? await client.get("/v1/nodes/\(APIPath.segment(subject))", as: NodeView.self)
        // Given a node id, SSH to the hostname it reported (resolvable via DNS or ~/.ssh/config).
        let target = try SSHTarget(node?.hostname ?? subject, port: port, identityFile: identityFile, options: sshOptions)
        var result = UnenrollResult(nodeID: node?.id, host: target.display, removedFromHost: false, revoked: false, notes: [])
        let controlDirectory = try ControlDirectory.make()
        defer { ControlDirectory.remove(controlDirectory) }
        var session = SSHSession(target: target, controlDirectory: controlDirectory)
        if let node { try await checkAddress(of: node, session: session, client: client) }
        let login = try await session.runAsLoginUser("id -u", timeout: .seconds(30))
        if login.succeeded {
            if login.stdout.trimmingCharacters(in: .whitespacesAndNewlines) != "0" { session = session.withSudo(true) }
            let state = RemoteAgentState(output: (try? await session.check("reading the agent's state", RemoteAgentState.script)) ?? "")
            if let expected = node?.id, !state.nodeID.isEmpty, state.nodeID != expected {
                result.notes.append("\(target.display) carries node \(state.nodeID), not \(expected): left the host alone")
            } else {
                if node == nil, !state.nodeID.isEmpty { node = try? await client.get("/v1/nodes/\(state.nodeID)", as: NodeView.self) }
                result.nodeID = result.nodeID ?? (state.nodeID.isEmpty ? nil : state.nodeID)
                let removal = try await session.run(Self.removalScript, timeout: .seconds(120))
                result.removedFromHost = removal.succeeded
                result.notes.append(removal.succeeded
                    ? "stopped and removed the agent, its unit, \(AgentInstallLayout.configDirectory) and \(AgentInstallLayout.stateDirectory) from \(target.display)"
                    : "removing the agent from \(target.display) failed (exit \(removal.status)): \(removal.stderr.prefix(300))")
            }
            await session.close()
        } else {
            result.notes.append("\(target.display) is not reachable over SSH (\(login.stderr.trimmingCharacters(in: .whitespacesAndNewlines).prefix(200))): the agent stays installed there but its certificate is revoked")
        }
        if node == nil {
            // Unreachable host or no identity on it: find the node by the hostname it reported.
            let nodes = try await client.get("/v1/nodes", as: NodeListResponse.self).nodes
            node = nodes.first { $0.hostname == target.host && $0.status != "revoked" }
            result.nodeID = result.nodeID ?? node?.id
        }
        guard let found = node else {
            if result.removedFromHost { return result }
            throw ShoalError(.notFound, "no node '\(subject)' in the fleet and nothing removed from a host: give a node id from 'coordinator nodes list' or a reachable host")
        }
        if found.status == "revoked" {
            result.revoked = true
            result.notes.append("\(found.id) was already revoked")
        } else {
            _ = try await client.post("/v1/nodes/\(found.id)/revoke", body: [String: String](), as: NodeView.self)
            result.revoked = true
            result.notes.append("revoked \(found.id) (\(found.hostname)): its certificate is refused from its next request")
        }
        return result
    }

    /// Given a node id, SSH goes to the hostname the node reported, which may by now lead to
    /// another machine (DNS reused, a typo in ~/.ssh/config). Go on only when it resolves to
    /// the address the node enrolled from, or when the operator says so.
    private func checkAddress(of node: NodeView, session: SSHSession, client: APIClient) async throws {
        let enrollment = try await client.get("/v1/nodes/\(APIPath.segment(node.id))/enrollment", as: NodeEnrollmentView.self)
        let name = await session.resolvedHostname()
        let addresses = HostAddresses.resolve(name)
        guard !HostAddresses.contains(enrollment.enrolledFrom, in: addresses) else { return }
        let from = enrollment.enrolledFrom.map { "enrolled from \($0)" } ?? "has no recorded enrollment address"
        let resolves = addresses.isEmpty ? "does not resolve here" : "resolves to \(addresses.sorted().joined(separator: ", "))"
        let problem = "node \(node.id) \(from), but the hostname it reported, \(name), \(resolves)"
        guard await confirmAddressMismatch(problem) else {
            throw ShoalError(
                .unenrollAddressMismatch,
                "\(problem); nothing was done. Unenroll by address ('coordinator unenroll user@ADDRESS'), or pass --yes to connect to \(name) anyway"
            )
        }
    }
}
