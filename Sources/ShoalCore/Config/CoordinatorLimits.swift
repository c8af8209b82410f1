import Foundation

/// `limits:` in coordinator.yaml: the bounds every node-facing route and the server itself
/// keep, so that no node, and no stranger on the network, can exhaust the coordinator.
/// Every key is optional; an absent one takes the default shown.
public struct CoordinatorLimits: Codable, Sendable, Equatable {
    /// Open connections the server accepts at once (more wait in the listen backlog).
    /// Each agent holds about two (long poll + heartbeats); the unit's `LimitNOFILE` must
    /// be above this.
    public var maxConnections: Int?
    /// A connection with no request in flight is closed after this long.
    public var idleTimeout: String?
    /// A connection that has not finished its TLS handshake is closed after this long.
    public var handshakeTimeout: String?
    /// A request body that has not fully arrived after this long is refused (slow senders).
    public var requestBodyTimeout: String?
    /// Full step output the coordinator keeps per delivery, all steps and streams together.
    public var maxOutputBytesPerDelivery: Int?
    /// Largest heartbeat body (metrics, facts, check results).
    public var maxHeartbeatBytes: Int?
    /// Requests per second one node may make to its agent routes, and the burst above it.
    public var agentRequestsPerSecond: Int?
    public var agentRequestBurst: Int?
    /// Failed enrollments one source address may make per minute before it is refused.
    public var enrollFailuresPerMinute: Int?

    enum CodingKeys: String, CodingKey {
        case maxConnections = "max_connections"
        case idleTimeout = "idle_timeout"
        case handshakeTimeout = "handshake_timeout"
        case requestBodyTimeout = "request_body_timeout"
        case maxOutputBytesPerDelivery = "max_output_bytes_per_delivery"
        case maxHeartbeatBytes = "max_heartbeat_bytes"
        case agentRequestsPerSecond = "agent_requests_per_second"
        case agentRequestBurst = "agent_request_burst"
        case enrollFailuresPerMinute = "enroll_failures_per_minute"
    }

    public init() {}

    public static let defaults = Resolved(
        maxConnections: 32768, idleTimeoutSeconds: 75, handshakeTimeoutSeconds: 10, requestBodyTimeoutSeconds: 60,
        maxOutputBytesPerDelivery: 64 << 20, maxHeartbeatBytes: 256 << 10, agentRequestsPerSecond: 20, agentRequestBurst: 200,
        enrollFailuresPerMinute: 10
    )

    /// Every limit with its default filled in.
    public struct Resolved: Sendable, Equatable {
        public var maxConnections: Int
        public var idleTimeoutSeconds: Int
        public var handshakeTimeoutSeconds: Int
        public var requestBodyTimeoutSeconds: Int
        public var maxOutputBytesPerDelivery: Int
        public var maxHeartbeatBytes: Int
        public var agentRequestsPerSecond: Int
        public var agentRequestBurst: Int
        public var enrollFailuresPerMinute: Int
    }

    /// The limits in force; `config.invalid` naming the key for a value out of range.
    public func resolved(source: String) throws -> Resolved {
        let d = Self.defaults
        func duration(_ text: String?, _ key: String, default value: Int) throws -> Int {
            guard let text else { return value }
            do {
                let seconds = try DurationText.seconds(text)
                guard seconds >= 1 else { throw ShoalError(.configInvalid, "must be at least 1s") }
                return seconds
            } catch let error as ShoalError {
                throw ShoalError(.configInvalid, "\(source): limits.\(key): \(error.message)")
            }
        }
        func count(_ value: Int?, _ key: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
            guard let value else { return fallback }
            guard range.contains(value) else {
                throw ShoalError(.configInvalid, "\(source): limits.\(key) must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
            }
            return value
        }
        return Resolved(
            maxConnections: try count(maxConnections, "max_connections", default: d.maxConnections, range: 16...1_000_000),
            idleTimeoutSeconds: try duration(idleTimeout, "idle_timeout", default: d.idleTimeoutSeconds),
            handshakeTimeoutSeconds: try duration(handshakeTimeout, "handshake_timeout", default: d.handshakeTimeoutSeconds),
            requestBodyTimeoutSeconds: try duration(requestBodyTimeout, "request_body_timeout", default: d.requestBodyTimeoutSeconds),
            maxOutputBytesPerDelivery: try count(maxOutputBytesPerDelivery, "max_output_bytes_per_delivery", default: d.maxOutputBytesPerDelivery, range: 4096...(1 << 34)),
            maxHeartbeatBytes: try count(maxHeartbeatBytes, "max_heartbeat_bytes", default: d.maxHeartbeatBytes, range: 16384...(16 << 20)),
            agentRequestsPerSecond: try count(agentRequestsPerSecond, "agent_requests_per_second", default: d.agentRequestsPerSecond, range: 1...100_000),
            agentRequestBurst: try count(agentRequestBurst, "agent_request_burst", default: d.agentRequestBurst, range: 1...1_000_000),
            enrollFailuresPerMinute: try count(enrollFailuresPerMinute, "enroll_failures_per_minute", default: d.enrollFailuresPerMinute, range: 1...1_000_000)
        )
    }
}
