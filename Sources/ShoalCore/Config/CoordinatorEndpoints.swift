import Foundation

/// The coordinator URLs an agent may use and the one it uses now. It starts at a random one
/// (jitter: a fleet's agents spread over the replicas instead of all picking the first) and
/// moves to the next, wrapping around, when the current one cannot be reached.
public struct CoordinatorEndpoints: Sendable, Equatable {
    /// Each URL without a trailing `/`, in the order given.
    public let urls: [String]
    public private(set) var index: Int

    /// `start` is taken modulo the count, so any integer names a URL.
    public init(urls: [String], start: Int = 0) throws {
        let trimmed = urls.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        guard !trimmed.isEmpty else {
            throw ShoalError(.configInvalid, "no coordinator URL given: set coordinator_url (or coordinator_urls) in the agent config")
        }
        self.urls = trimmed
        self.index = ((start % trimmed.count) + trimmed.count) % trimmed.count
    }

    /// One URL: there is nowhere to move to (the operator CLI, a single-URL agent).
    public init(url: String) {
        self.urls = [url.hasSuffix("/") ? String(url.dropLast()) : url]
        self.index = 0
    }

    /// Starts at a random URL.
    public static func jittered(_ urls: [String]) throws -> CoordinatorEndpoints {
        try CoordinatorEndpoints(urls: urls, start: Int.random(in: 0..<max(urls.count, 1)))
    }

    public var current: String { urls[index] }

    /// Every URL once, the current one first, then the others in order: the order to try them.
    public var rotation: [String] {
        (0..<urls.count).map { urls[(index + $0) % urls.count] }
    }

    /// Moves to the next URL when `failed` is still the current one and there is another.
    /// Requests that were in flight together (long poll, heartbeat, upload) all fail when a
    /// coordinator goes away; only the first of them moves on, so the rest do not skip the
    /// next URL unseen. Returns the URL moved to, nil when it stayed.
    public mutating func moveOn(from failed: String) -> String? {
        guard urls.count > 1, failed == current else { return nil }
        index = (index + 1) % urls.count
        return current
    }
}
