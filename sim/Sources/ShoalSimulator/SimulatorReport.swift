import Foundation

/// The `--report` JSON: what the fleet measured from the client side. "steady" figures count
/// only heartbeats sent after every node was up (ramp-up and enrollment excluded).
public struct SimulatorReport: Codable, Sendable {
    /// One periodic stats line (`--stats-interval`).
    public struct Window: Codable, Sendable {
        public var at: Double
        public var nodesUp: Int
        public var heartbeats: Int
        public var heartbeatsPerSecond: Double
        public var p50Milliseconds: Double?
        public var p99Milliseconds: Double?
        public var bundlesVerified: Int
    }

    public var nodes: Int
    public var heartbeatIntervalSeconds: Double
    public var gpuShare: Double
    public var runSeconds: Double
    public var heartbeats: Int
    public var heartbeatP50Milliseconds: Double?
    public var heartbeatP99Milliseconds: Double?
    public var heartbeatMaxMilliseconds: Double?
    public var steadySeconds: Double
    public var steadyHeartbeats: Int
    public var steadyHeartbeatsPerSecond: Double?
    public var steadyP50Milliseconds: Double?
    public var steadyP99Milliseconds: Double?
    public var enrolled: Int
    public var identitiesReused: Int
    /// Enrollments per second between the first and the last one of this run.
    public var enrollmentPerSecond: Double?
    public var bundlesVerified: Int
    /// Bundles refused by verification, by error code (`bundle.replayed`, `bundle.bad_signature`, ...).
    public var bundlesRefused: [String: Int]
    public var resultsUploaded: Int
    public var outputBytesUploaded: Int
    public var churnedDown: Int
    public var churnedBack: Int
    /// Failed requests by error code (`net.unreachable`, `rate.limited`, ...).
    public var errors: [String: Int]
}
