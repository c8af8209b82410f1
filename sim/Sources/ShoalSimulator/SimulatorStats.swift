import Foundation
import Synchronization

/// What the simulated fleet measured on the client side, shared by every node. One lock,
/// held for a few instructions per event: at 10,000 nodes that is about a thousand events a
/// second, far below where the lock would matter.
public final class SimulatorStats: Sendable {
    struct Counters {
        var heartbeatLatencies: [Float] = []
        /// Latencies since the last `window()` call, for the periodic stats line.
        var windowLatencies: [Float] = []
        /// Index into `heartbeatLatencies` where the whole fleet was first up.
        var steadyFrom: Int?
        var steadyAt: Date?
        var enrolled = 0
        var firstEnrollment: Date?
        var lastEnrollment: Date?
        var reused = 0
        var bundlesVerified = 0
        var bundlesRefused: [String: Int] = [:]
        var resultsUploaded = 0
        var outputBytesUploaded = 0
        var errors: [String: Int] = [:]
        var nodesUp = 0
        var churnedDown = 0
        var churnedBack = 0
    }

    private let counters = Mutex(Counters())
    public let startedAt = Date()

    public init() {}

    func heartbeat(milliseconds: Double) {
        counters.withLock {
            $0.heartbeatLatencies.append(Float(milliseconds))
            $0.windowLatencies.append(Float(milliseconds))
        }
    }

    func enrolled(at date: Date = Date()) {
        counters.withLock {
            $0.enrolled += 1
            if $0.firstEnrollment == nil { $0.firstEnrollment = date }
            $0.lastEnrollment = date
        }
    }

    func reusedIdentity() { counters.withLock { $0.reused += 1 } }
    func verified() { counters.withLock { $0.bundlesVerified += 1 } }
    func refused(code: String) { counters.withLock { $0.bundlesRefused[code, default: 0] += 1 } }
    func resultUploaded() { counters.withLock { $0.resultsUploaded += 1 } }
    func outputUploaded(bytes: Int) { counters.withLock { $0.outputBytesUploaded += bytes } }
    func error(code: String) { counters.withLock { $0.errors[code, default: 0] += 1 } }
    func nodeUp() { counters.withLock { $0.nodesUp += 1 } }
    func nodeDown(churned: Bool) {
        counters.withLock {
            $0.nodesUp -= 1
            if churned { $0.churnedDown += 1 }
        }
    }
    func churnReturned() { counters.withLock { $0.churnedBack += 1 } }

    /// From now on heartbeats count towards the steady-state figures.
    func markSteady() {
        counters.withLock {
            guard $0.steadyFrom == nil else { return }
            $0.steadyFrom = $0.heartbeatLatencies.count
            $0.steadyAt = Date()
        }
    }

    public var nodesUp: Int { counters.withLock { $0.nodesUp } }

    /// The stats line for the window since the previous call; resets the window.
    func window(seconds: Double) -> SimulatorReport.Window {
        let (latencies, up, verified) = counters.withLock { state in
            let taken = state.windowLatencies
            state.windowLatencies.removeAll(keepingCapacity: true)
            return (taken, state.nodesUp, state.bundlesVerified)
        }
        let summary = LatencySummary(latencies)
        return SimulatorReport.Window(
            at: Date().timeIntervalSince(startedAt), nodesUp: up, heartbeats: latencies.count,
            heartbeatsPerSecond: Double(latencies.count) / max(seconds, 0.001), p50Milliseconds: summary.p50, p99Milliseconds: summary.p99,
            bundlesVerified: verified
        )
    }

    /// Everything measured, for `--report`.
    func report(options: SimulatorOptions, endedAt: Date = Date()) -> SimulatorReport {
        counters.withLock { state in
            let all = LatencySummary(state.heartbeatLatencies)
            let steadySamples = state.steadyFrom.map { Array(state.heartbeatLatencies[$0...]) } ?? []
            let steady = LatencySummary(steadySamples)
            let steadySeconds = state.steadyAt.map { endedAt.timeIntervalSince($0) } ?? 0
            var enrollmentRate: Double?
            if let first = state.firstEnrollment, let last = state.lastEnrollment, state.enrolled > 1 {
                enrollmentRate = Double(state.enrolled - 1) / max(last.timeIntervalSince(first), 0.001)
            }
            return SimulatorReport(
                nodes: options.nodes, heartbeatIntervalSeconds: options.heartbeatInterval, gpuShare: options.gpuShare,
                runSeconds: endedAt.timeIntervalSince(startedAt), heartbeats: state.heartbeatLatencies.count,
                heartbeatP50Milliseconds: all.p50, heartbeatP99Milliseconds: all.p99, heartbeatMaxMilliseconds: all.max,
                steadySeconds: steadySeconds, steadyHeartbeats: steadySamples.count,
                steadyHeartbeatsPerSecond: steadySeconds > 0 ? Double(steadySamples.count) / steadySeconds : nil,
                steadyP50Milliseconds: steady.p50, steadyP99Milliseconds: steady.p99,
                enrolled: state.enrolled, identitiesReused: state.reused, enrollmentPerSecond: enrollmentRate,
                bundlesVerified: state.bundlesVerified, bundlesRefused: state.bundlesRefused, resultsUploaded: state.resultsUploaded,
                outputBytesUploaded: state.outputBytesUploaded, churnedDown: state.churnedDown, churnedBack: state.churnedBack,
                errors: state.errors
            )
        }
    }
}
