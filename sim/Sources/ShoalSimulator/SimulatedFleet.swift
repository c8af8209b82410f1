import Foundation
import Logging
import ShoalAgent
import ShoalCore
import Synchronization

/// N simulated nodes in one process against a real coordinator. All their clients share
/// AsyncHTTPClient's one event loop group (one thread per core), so 10,000 nodes cost 20,000
/// sockets and some memory, not threads.
public final class SimulatedFleet: Sendable {
    public let options: SimulatorOptions
    public let stats = SimulatorStats()
    let nodes: [SimulatedNode]
    let stateRoot: String
    /// True when `stateRoot` is a temporary folder this run made (and removes).
    let ownsStateRoot: Bool
    let logger: Logger
    /// Set when the run ends, so a churned node that is still away does not come back.
    private let stopping = Mutex(false)

    public init(options: SimulatorOptions, logger: Logger) throws {
        self.options = options
        self.logger = logger
        if let dir = options.stateDir {
            stateRoot = dir
            ownsStateRoot = false
        } else {
            // tmpfs when there is one: every node's state files are fsynced, as the agent does.
            let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
            stateRoot = base + "/shoal-sim-" + RandomID.make(bytes: 6)
            ownsStateRoot = true
        }
        try SecureFile.makeDirectory(stateRoot)
        let profiles = options.gpuShare > 0 ? try GPUProfile.load(from: options.gpuFixtures ?? GPUProfile.defaultFixtures) : []
        let gpuNodes = Int((Double(options.nodes) * options.gpuShare).rounded())
        var nodes: [SimulatedNode] = []
        for index in 0..<options.nodes {
            let hostname = "\(options.hostnamePrefix)-\(String(format: "%05d", index))"
            // GPU nodes spread evenly through the fleet, each machine kind in turn.
            let isGPU = gpuNodes > 0 && index % max(1, options.nodes / gpuNodes) == 0 && index / max(1, options.nodes / gpuNodes) < gpuNodes
            let profile = isGPU ? profiles[(index / max(1, options.nodes / gpuNodes)) % profiles.count] : nil
            nodes.append(SimulatedNode(
                index: index, hostname: hostname, state: AgentStateDirectory(path: stateRoot + "/" + hostname),
                hardware: SimulatedHardware(hostname: hostname, index: index, gpu: profile), options: options, stats: stats, logger: logger
            ))
        }
        self.nodes = nodes
    }

    /// Brings the fleet up, runs it for `duration` (or until cancelled), stops every node and
    /// returns what was measured. `onUp` is called once every node is up.
    public func run(onWindow: @escaping @Sendable (SimulatorReport.Window) -> Void = { _ in }, onUp: @escaping @Sendable (Double) -> Void = { _ in }) async throws -> SimulatorReport {
        try FileDescriptorLimit.raise(to: options.fileDescriptorsNeeded)
        let windows = Task { [stats, options] in
            guard options.statsInterval > 0 else { return }
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int64(options.statsInterval * 1000)))
                if Task.isCancelled { return }
                onWindow(stats.window(seconds: options.statsInterval))
            }
        }
        defer { windows.cancel() }
        let began = Date()
        do {
            try await bringUp()
            stats.markSteady()
            onUp(Date().timeIntervalSince(began))
            let churn = Task { await self.churn() }
            defer { churn.cancel() }
            if options.duration > 0 {
                try await Task.sleep(for: .milliseconds(Int64(options.duration * 1000)))
            } else {
                while true { try await Task.sleep(for: .seconds(3600)) }
            }
        } catch is CancellationError {
            // SIGINT/SIGTERM: stop and report what was measured so far.
        } catch {
            await stopAll()
            throw error
        }
        let report = stats.report(options: options)
        await stopAll()
        return report
    }

    /// Enrolls (or loads) and starts every node: one start slot every `rampUp / nodes`
    /// seconds, with at most 64 enrollments in flight so a zero ramp-up measures the
    /// coordinator's enrollment rate rather than a thundering herd.
    func bringUp() async throws {
        let slot = options.rampUp / Double(max(1, nodes.count))
        let began = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for (position, node) in nodes.enumerated() {
                let due = began + .milliseconds(Int64(slot * Double(position) * 1000))
                if due > ContinuousClock.now { try await Task.sleep(until: due) }
                if inFlight >= 64 {
                    try await group.next()
                    inFlight -= 1
                }
                group.addTask {
                    try await node.enrollIfNeeded()
                    try node.start()
                }
                inFlight += 1
            }
            try await group.waitForAll()
        }
    }

    /// Every second, `churn / 60` of the fleet goes down (its loops stop and its connections
    /// close) and comes back `churnOutage` seconds later with a fresh connection.
    func churn() async {
        guard options.churn > 0 else { return }
        var owed = 0.0
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            owed += options.churn * Double(nodes.count) / 60
            while owed >= 1, !Task.isCancelled {
                owed -= 1
                guard let node = nodes.filter(\.isRunning).randomElement() else { break }
                let outage = options.churnOutage
                let stats = self.stats
                Task { [self] in
                    await node.stop(churned: true)
                    try? await Task.sleep(for: .milliseconds(Int64(outage * 1000)))
                    guard !self.stopping.withLock({ $0 }) else { return }
                    do {
                        try node.start()
                        stats.churnReturned()
                    } catch {
                        stats.error(code: (error as? ShoalError)?.code.rawValue ?? "other")
                    }
                }
            }
        }
    }

    func stopAll() async {
        stopping.withLock { $0 = true }
        await withTaskGroup(of: Void.self) { group in
            for node in nodes { group.addTask { await node.stop() } }
        }
        if ownsStateRoot { try? FileManager.default.removeItem(atPath: stateRoot) }
    }
}
