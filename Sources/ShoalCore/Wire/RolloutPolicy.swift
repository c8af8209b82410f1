import Foundation

/// How a task spreads over its nodes.
public struct RolloutPolicy: Codable, Sendable, Equatable {
    /// At most this many nodes active at once (`nil`: all).
    public var maxConcurrency: RolloutLimit?
    /// Failures tolerated; once exceeded no new node starts and the rollout ends `halted`.
    public var maxErrors: RolloutLimit
    /// Run on this many nodes first; continue only if all of them succeed.
    public var canary: Int
    /// Retries for retryable failures (node down, bundle never picked up).
    public var retries: Int
    /// First retry delay; each further retry doubles it (deterministic, no jitter).
    public var retryBackoffSeconds: Int

    public init(maxConcurrency: RolloutLimit? = nil, maxErrors: RolloutLimit = .count(0), canary: Int = 0, retries: Int = 0, retryBackoffSeconds: Int = 5) {
        self.maxConcurrency = maxConcurrency
        self.maxErrors = maxErrors
        self.canary = canary
        self.retries = retries
        self.retryBackoffSeconds = retryBackoffSeconds
    }

    /// The delay before retry number `attempt` (1-based): backoff × 2^(attempt-1), capped at an hour.
    public func retryDelay(attempt: Int) -> Int {
        min(3600, retryBackoffSeconds << min(max(attempt - 1, 0), 12))
    }
}

/// A count (`5`) or a share of the targeted nodes (`10%`, rounded down, at least 1 for concurrency).
public enum RolloutLimit: Codable, Sendable, Equatable, CustomStringConvertible {
    case count(Int)
    case percent(Int)

    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix("%"), let value = Int(trimmed.dropLast()), (0...100).contains(value) {
            self = .percent(value)
        } else if let value = Int(trimmed), value >= 0 {
            self = .count(value)
        } else {
            throw ShoalError(.invalidArgument, "'\(text)' is not a count or a percentage (e.g. 5 or 10%)")
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a count or percentage: \(text)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public var description: String {
        switch self {
        case .count(let value): "\(value)"
        case .percent(let value): "\(value)%"
        }
    }

    public func resolve(total: Int) -> Int {
        switch self {
        case .count(let value): value
        case .percent(let value): total * value / 100
        }
    }
}
