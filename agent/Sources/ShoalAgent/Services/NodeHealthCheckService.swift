import Foundation
import Logging
import ServiceLifecycle
import ShoalCore

/// Runs the agent config's `health_checks`, each on its own interval, and keeps the latest
/// result on the board the heartbeat reads. A check that changes state is logged once.
public struct NodeHealthCheckService: Service {
    let checks: [NodeHealthCheck]
    let board: NodeCheckBoard
    let outputDirectory: String
    let logger: Logger

    public init(checks: [NodeHealthCheck], board: NodeCheckBoard, outputDirectory: String, logger: Logger) {
        self.checks = checks
        self.board = board
        self.outputDirectory = outputDirectory
        self.logger = logger
    }

    public func run() async throws {
        // A service that returns ends the whole group: with nothing to check, wait for shutdown.
        guard !checks.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        try? FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        try? await cancelWhenGracefulShutdown { [self] in
            await withTaskGroup(of: Void.self) { group in
                for check in checks {
                    group.addTask { await loop(check) }
                }
            }
        }
    }

    func loop(_ check: NodeHealthCheck) async {
        let interval = Duration.seconds((try? check.intervalSeconds) ?? 30)
        let probe = HealthProbe(spec: check.probe)
        let prefix = outputDirectory + "/" + ResultSpool.safeName(check.name)
        var wasHealthy: Bool?
        while !Task.isCancelled {
            let problem = await probe.probe(outputPrefix: prefix)
            await board.record(NodeCheckResult(name: check.name, kind: probe.kindName, healthy: problem == nil, message: problem, checkedAt: Timestamp.now()))
            if wasHealthy != (problem == nil) {
                if let problem {
                    logger.warning("node check unhealthy", metadata: ["check": "\(check.name)", "reason": "\(problem)"])
                } else if wasHealthy != nil {
                    logger.info("node check healthy again", metadata: ["check": "\(check.name)"])
                }
                wasHealthy = problem == nil
            }
            try? await Task.sleep(for: interval)
        }
    }
}
