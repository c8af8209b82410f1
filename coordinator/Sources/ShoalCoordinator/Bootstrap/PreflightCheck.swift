/// One preflight check on one host, as reported to the operator.
public struct PreflightCheck: Codable, Sendable, Equatable {
    public var name: String
    public var passed: Bool
    /// Passed only because `--force` turned a resource shortfall into a warning.
    public var warning: Bool
    public var reason: String

    public init(_ name: String, passed: Bool, warning: Bool = false, _ reason: String) {
        self.name = name
        self.passed = passed
        self.warning = warning
        self.reason = reason
    }

    public var mark: String { !passed ? "FAIL" : warning ? "WARN" : "ok" }
}

/// Minimums a node must meet; `force` downgrades resource failures to warnings.
public struct PreflightThresholds: Sendable {
    public var minCPUs: Int
    public var minMemoryGiB: Double
    public var minDiskGiB: Double
    public var force: Bool
    /// Largest clock difference to the coordinator: certificates and bundle expiry rely on it.
    public var maxClockSkewSeconds: Double

    public init(minCPUs: Int = 2, minMemoryGiB: Double = 4, minDiskGiB: Double = 20, force: Bool = false, maxClockSkewSeconds: Double = 60) {
        self.minCPUs = minCPUs
        self.minMemoryGiB = minMemoryGiB
        self.minDiskGiB = minDiskGiB
        self.force = force
        self.maxClockSkewSeconds = maxClockSkewSeconds
    }
}
