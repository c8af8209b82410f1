import Foundation

/// The one error type both sides throw for anything an operator may see.
///
/// Like swift-nio's errors it is a struct carrying a stable `code` (documented in
/// docs/protocol.md) and a human message that says what happened and what to do.
public struct ShoalError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Code
    public var message: String
    /// For `request.rate_limited`: how long the caller should wait before trying again
    /// (the API also sends it as `Retry-After`).
    public var retryAfterSeconds: Int?

    public init(_ code: Code, _ message: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(message) [\(code.rawValue)]" }

    /// A stable, dotted error code. New codes are added as static presets.
    public struct Code: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.rawValue = value }
        public init(from decoder: any Decoder) throws {
            self.rawValue = try decoder.singleValueContainer().decode(String.self)
        }
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }
    }
}

extension ShoalError.Code {
    // Requests and input
    public static let badRequest: Self = "request.malformed"
    public static let bodyTooLarge: Self = "request.too_large"
    public static let notFound: Self = "request.not_found"
    public static let invalidArgument: Self = "request.invalid_argument"
    public static let rateLimited: Self = "request.rate_limited"
    public static let conflict: Self = "request.conflict"
    // Authentication and authorisation
    public static let clientCertificateRequired: Self = "auth.client_certificate_required"
    public static let forbidden: Self = "auth.forbidden"
    public static let nodeRevoked: Self = "auth.node_revoked"
    public static let certificateSuperseded: Self = "auth.certificate_superseded"
    public static let certificateExpired: Self = "auth.certificate_expired"
    public static let certificateRevoked: Self = "auth.certificate_revoked"
    // Tokens and enrollment
    public static let tokenInvalid: Self = "token.invalid"
    public static let tokenExpired: Self = "token.expired"
    public static let tokenUsedUp: Self = "token.used_up"
    public static let csrInvalid: Self = "enroll.csr_invalid"
    public static let caFingerprintMismatch: Self = "enroll.ca_fingerprint_mismatch"
    public static let notEnrolled: Self = "agent.not_enrolled"
    // Bundles: why an agent refuses to run one
    public static let bundleMalformed: Self = "bundle.malformed"
    public static let bundleBadSignature: Self = "bundle.bad_signature"
    public static let bundleUntrustedKey: Self = "bundle.untrusted_key"
    public static let bundleWrongType: Self = "bundle.wrong_payload_type"
    public static let bundleWrongNode: Self = "bundle.wrong_node"
    public static let bundleExpired: Self = "bundle.expired"
    public static let bundleReplayed: Self = "bundle.replayed"
    public static let bundleFileMissing: Self = "bundle.file_missing"
    // Steps
    public static let stepUnknownKind: Self = "step.unknown_kind"
    public static let stepInvalid: Self = "step.invalid"
    public static let stepFailed: Self = "step.failed"
    public static let stepTimedOut: Self = "step.timed_out"
    public static let stepLaunchFailed: Self = "step.launch_failed"
    public static let stepInterrupted: Self = "step.interrupted"
    public static let stepUndefinedVariable: Self = "step.undefined_variable"
    public static let taskInvalid: Self = "task.invalid"
    public static let taskFileMissing: Self = "task.file_missing"
    // Fleet and server
    public static let fleetExists: Self = "fleet.exists"
    public static let fleetMissing: Self = "fleet.missing"
    public static let configInvalid: Self = "config.invalid"
    public static let noNodesMatched: Self = "task.no_nodes_matched"
    public static let taskCancelled: Self = "task.cancelled"
    public static let nodeTimeout: Self = "task.node_timeout"
    public static let rolloutHalted: Self = "rollout.halted"
    public static let canaryFailed: Self = "rollout.canary_failed"
    public static let nodeUnreachable: Self = "node.unreachable"
    public static let unreachable: Self = "net.unreachable"
    public static let internalError: Self = "server.internal"
    public static let storage: Self = "server.storage"
}

extension ShoalError {
    /// How long to wait before retrying after this error: what `request.rate_limited` asked
    /// for when it is longer than `fallback`, else `fallback`.
    public func retryDelay(fallback: Duration) -> Duration {
        guard code == .rateLimited, let seconds = retryAfterSeconds else { return fallback }
        return max(fallback, .seconds(min(seconds, 3600)))
    }

    /// How both command-line programs report an error: one line on stderr with the code,
    /// and the exit status (2 for a bad argument or task file, 1 otherwise).
    public func reportOnStandardError() -> Int32 {
        // Messages can quote what a node or a file said; escaped so it cannot act on the terminal.
        FileHandle.standardError.write(Data("error: \(TerminalText.escapedKeepingLines(message)) [\(code.rawValue)]\n".utf8))
        return [.invalidArgument, .taskInvalid, .taskFileMissing, .stepUnknownKind, .stepUndefinedVariable].contains(code) ? 2 : 1
    }
}
