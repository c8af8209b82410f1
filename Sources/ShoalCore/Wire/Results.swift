import Foundation

/// The head and tail of a stream. The middle of long output is dropped so a result stays
/// small on the wire and in the database; `totalBytes` says how much there was.
public struct CapturedOutput: Codable, Sendable, Equatable {
    /// Bytes kept from the start and from the end of each stream.
    public static let headLimit = 4096
    public static let tailLimit = 4096

    public var head: String
    public var tail: String
    public var totalBytes: Int

    public init(head: String, tail: String, totalBytes: Int) {
        self.head = head
        self.tail = tail
        self.totalBytes = totalBytes
    }

    public static let empty = CapturedOutput(head: "", tail: "", totalBytes: 0)

    public var truncated: Bool { totalBytes > Self.headLimit + Self.tailLimit }

    /// The whole text when nothing was dropped, else head, a marker, and tail.
    public var text: String {
        if tail.isEmpty { return head }
        // totalBytes comes from the node: a negative one must not overflow the subtraction.
        let dropped = max(0, totalBytes) - Data(head.utf8).count - Data(tail.utf8).count
        return dropped > 0 ? head + "\n… [\(dropped) bytes omitted] …\n" + tail : head + tail
    }

    public var firstLine: String {
        text.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? ""
    }
}

public enum StepStatus: String, Codable, Sendable {
    case changed, unchanged, failed
    case timedOut = "timed_out"
    case interrupted
    /// Check mode could not tell what the step would do.
    case unknown
    /// The step's `when` condition did not hold on this node; nothing was done.
    case skipped
}

public struct StepResult: Codable, Sendable, Equatable {
    public var index: Int
    public var name: String
    public var kind: String
    public var status: StepStatus
    public var exitCode: Int32?
    public var durationMilliseconds: Int
    public var stdout: CapturedOutput
    public var stderr: CapturedOutput
    public var errorCode: ShoalError.Code?
    public var message: String?
    /// What the step changed or (check mode) would change, as a unified diff where the thing is text.
    public var diff: String?

    public init(
        index: Int, name: String, kind: String, status: StepStatus, exitCode: Int32? = nil, durationMilliseconds: Int = 0,
        stdout: CapturedOutput = .empty, stderr: CapturedOutput = .empty, errorCode: ShoalError.Code? = nil, message: String? = nil,
        diff: String? = nil
    ) {
        self.index = index
        self.name = name
        self.kind = kind
        self.status = status
        self.exitCode = exitCode
        self.durationMilliseconds = durationMilliseconds
        self.stdout = stdout
        self.stderr = stderr
        self.errorCode = errorCode
        self.message = message
        self.diff = diff
    }
}

public enum BundleStatus: String, Codable, Sendable {
    case succeeded, failed
    case timedOut = "timed_out"
    /// Never run: the bundle failed verification.
    case refused
    /// The agent stopped in the middle of it; it is not re-run.
    case interrupted
    /// The operator cancelled the task; steps still running were stopped.
    case cancelled
}

/// One bundle's outcome, spooled on the node until the coordinator acknowledges it.
public struct BundleResult: Codable, Sendable, Equatable {
    /// The coordinator's id for this delivery (one node's share of a task). Results are
    /// matched by it, not by what an unverified payload claims.
    public var deliveryID: String
    public var bundleID: String
    public var taskID: String?
    public var nodeID: String
    public var sequence: Int64?
    public var status: BundleStatus
    public var errorCode: ShoalError.Code?
    public var message: String?
    public var startedAt: Date
    public var finishedAt: Date
    public var steps: [StepResult]

    public init(
        deliveryID: String, bundleID: String, taskID: String?, nodeID: String, sequence: Int64?, status: BundleStatus,
        errorCode: ShoalError.Code? = nil, message: String? = nil, startedAt: Date, finishedAt: Date, steps: [StepResult] = []
    ) {
        self.deliveryID = deliveryID
        self.bundleID = bundleID
        self.taskID = taskID
        self.nodeID = nodeID
        self.sequence = sequence
        self.status = status
        self.errorCode = errorCode
        self.message = message
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.steps = steps
    }
}

/// `POST /v1/agent/{node}/results`.
public struct ResultsUpload: Codable, Sendable {
    public var results: [BundleResult]
    public init(results: [BundleResult]) { self.results = results }
}

public struct ResultsAck: Codable, Sendable {
    public var acknowledged: [String]
    public init(acknowledged: [String]) { self.acknowledged = acknowledged }
}

/// `GET /v1/agent/{node}/bundles?wait=SECONDS`: the long poll.
public struct BundlePollResponse: Codable, Sendable {
    public struct Delivery: Codable, Sendable {
        public var deliveryID: String
        public var envelope: DSSEEnvelope
        public init(deliveryID: String, envelope: DSSEEnvelope) {
            self.deliveryID = deliveryID
            self.envelope = envelope
        }
    }

    public var deliveries: [Delivery]
    /// Trust documents newer than the one the agent said it holds (`?trust=N`), oldest
    /// first: the agent accepts them before it looks at any delivery.
    public var trust: [DSSEEnvelope]?
    public init(deliveries: [Delivery], trust: [DSSEEnvelope]? = nil) {
        self.deliveries = deliveries
        self.trust = trust
    }
}
