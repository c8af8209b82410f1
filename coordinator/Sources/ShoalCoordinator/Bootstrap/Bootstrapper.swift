import Foundation
import ShoalClient
import ShoalCore

/// `coordinator enroll`: preflight, install and wait on each host, up to `parallel` hosts at
/// a time, every SSH connection multiplexed through a private control directory.
public struct Bootstrapper: Sendable {
    let connection: OperatorConnection
    let agent: AgentBinary
    let options: EnrollOptions
    /// Progress lines for the operator (stderr), one per host and phase.
    let progress: @Sendable (String) -> Void

    public init(connection: OperatorConnection, agent: AgentBinary, options: EnrollOptions, progress: @escaping @Sendable (String) -> Void) throws {
        guard !options.coordinatorURLs.isEmpty else {
            throw ShoalError(.invalidArgument, "give at least one --coordinator-url: the https:// URL nodes use to reach the coordinator")
        }
        // The same checks as the agent's own: a config the agent would refuse is never written.
        do {
            try AgentConfig(coordinatorURLs: options.coordinatorURLs, stateDir: AgentInstallLayout.stateDirectory).validate(source: "--coordinator-url")
        } catch let error as ShoalError {
            throw ShoalError(.invalidArgument, "\(error.message); give the https:// URL(s) nodes use to reach the coordinator")
        }
        guard options.parallel >= 1 else { throw ShoalError(.invalidArgument, "--parallel must be at least 1") }
        self.connection = connection
        self.agent = agent
        self.options = options
        self.progress = progress
    }

    public func enroll(_ targets: [SSHTarget]) async throws -> [EnrollResult] {
        let controlDirectory = try ControlDirectory.make()
        defer { ControlDirectory.remove(controlDirectory) }
        let client = try connection.client()
        let offset = await CoordinatorClock.offset(url: connection.url, tls: try ClientTLS.mutual(caPEM: connection.caPEM, certificatePEM: connection.certificatePEM, keyPEM: connection.keyPEM))
        // Preflight checks that the node reaches the first URL; the agent fails over to the others.
        guard let coordinatorURL = options.coordinatorURLs.first.flatMap({ URL(string: $0) }) else { throw ShoalError(.invalidArgument, "bad --coordinator-url") }
        let preflight = Preflight(thresholds: options.thresholds, agent: agent, coordinatorURL: coordinatorURL, coordinatorClockOffset: offset)
        let results = await withTaskGroup(of: (Int, EnrollResult).self) { group in
            var results = [EnrollResult?](repeating: nil, count: targets.count)
            var next = 0
            func startNext() {
                guard next < targets.count else { return }
                let index = next
                next += 1
                group.addTask { (index, await enrollOne(targets[index], preflight: preflight, client: client, controlDirectory: controlDirectory)) }
            }
            for _ in 0..<min(options.parallel, targets.count) { startNext() }
            for await (index, result) in group {
                results[index] = result
                startNext()
            }
            return results.compactMap { $0 }
        }
        await client.shutdown()
        return results
    }

    func enrollOne(_ target: SSHTarget, preflight: Preflight, client: APIClient, controlDirectory: String) async -> EnrollResult {
        let started = Date()
        let session = SSHSession(target: target, controlDirectory: controlDirectory)
        var result: EnrollResult
        do {
            progress("\(target.display): preflight")
            let (checks, active) = try await preflight.run(session)
            for check in checks { progress("\(target.display):   [\(check.mark)] \(check.name): \(check.reason)") }
            let failed = checks.filter { !$0.passed }
            if !failed.isEmpty {
                result = EnrollResult(host: target.display, result: .failed, reason: "preflight: " + failed.map { "\($0.name): \($0.reason)" }.joined(separator: "; "), checks: checks)
            } else if options.dryRun {
                result = EnrollResult(host: target.display, result: .preflightPassed, reason: "all \(checks.count) checks passed (dry run: nothing written)", checks: checks)
            } else {
                progress("\(target.display): installing")
                let installer = NodeInstaller(session: active, client: client, agent: agent, caPEM: connection.caPEM, options: options)
                let outcome = await installer.run()
                result = EnrollResult(host: target.display, result: outcome.outcome, nodeID: outcome.nodeID, reason: outcome.reason, checks: checks)
            }
        } catch {
            result = EnrollResult(host: target.display, result: .failed, reason: (error as? ShoalError)?.message ?? "\(error)")
        }
        await session.close()
        result.seconds = (Date().timeIntervalSince(started) * 10).rounded() / 10
        progress("\(target.display): \(result.result.rawValue)\(result.nodeID.map { " (\($0))" } ?? "")")
        return result
    }
}

/// A private (0700) directory for ControlMaster sockets, short enough for the socket path limit.
enum ControlDirectory {
    static func make() throws -> String {
        var template = Array("/tmp/shoal-ssh-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw ShoalError(.bootstrapSSH, "could not create a private directory in /tmp for SSH connection sharing")
        }
        return String(cString: made)
    }

    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}
