/// What `coordinator enroll` did on one host.
public struct EnrollResult: Codable, Sendable {
    public enum Outcome: String, Codable, Sendable {
        /// Fresh install; the node enrolled and is ready.
        case enrolled
        /// It was enrolled already; a changed binary or unit was replaced and the agent restarted.
        case updated
        /// It was enrolled already with this binary and unit; nothing was touched.
        case unchanged
        /// `--dry-run`: every preflight check passed, nothing was written.
        case preflightPassed = "preflight-ok"
        case failed
    }

    public var host: String
    public var result: Outcome
    public var nodeID: String?
    public var reason: String
    public var checks: [PreflightCheck]
    public var seconds: Double

    public init(host: String, result: Outcome, nodeID: String? = nil, reason: String, checks: [PreflightCheck] = [], seconds: Double = 0) {
        self.host = host
        self.result = result
        self.nodeID = nodeID
        self.reason = reason
        self.checks = checks
        self.seconds = seconds
    }
}

/// `--json` output of `coordinator enroll`.
public struct EnrollReport: Codable, Sendable {
    public var results: [EnrollResult]
    public init(results: [EnrollResult]) { self.results = results }
}

/// How `coordinator enroll` runs.
public struct EnrollOptions: Sendable {
    /// The URLs nodes use to reach the coordinator, written to their agent config (one as
    /// `coordinator_url`, more as `coordinator_urls`).
    public var coordinatorURLs: [String]
    public var labels: [String: String]
    public var thresholds: PreflightThresholds
    public var dryRun: Bool
    public var parallel: Int
    public var readyTimeout: Duration
    /// Each host gets its own single-use token, valid only this long: it is on disk until used.
    public var tokenTTLSeconds: Int

    public init(
        coordinatorURLs: [String], labels: [String: String], thresholds: PreflightThresholds, dryRun: Bool = false,
        parallel: Int = 10, readyTimeout: Duration = .seconds(120), tokenTTLSeconds: Int = 900
    ) {
        self.coordinatorURLs = coordinatorURLs
        self.labels = labels
        self.thresholds = thresholds
        self.dryRun = dryRun
        self.parallel = parallel
        self.readyTimeout = readyTimeout
        self.tokenTTLSeconds = tokenTTLSeconds
    }
}
