import ShoalCore

/// The latest result of each recurring node check, written by `NodeHealthCheckService` and
/// read by the heartbeat.
public actor NodeCheckBoard {
    private var results: [String: NodeCheckResult] = [:]
    private let order: [String]

    public init(names: [String] = []) { order = names }

    public func record(_ result: NodeCheckResult) { results[result.name] = result }

    /// In config order; nil when no check is configured, so heartbeats stay as before.
    public func snapshot() -> [NodeCheckResult]? {
        order.isEmpty ? nil : order.compactMap { results[$0] }
    }
}
