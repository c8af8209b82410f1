import Foundation
import ShoalCore
import X509

/// Signs what an operator sends — tasks, schedules, label changes — with their own key, on
/// their own machine. The key is found at `--signing-key`, `$SHOAL_SIGNING_KEY`, the operator
/// config's `signing_key`, or `~/.shoal/FLEET/operator.key` for `--data-dir`; the name is the
/// CN of the operator's TLS credential, which the coordinator checks against the signer.
public struct OperatorSigner: Sendable {
    public var name: String
    public var key: BundleSigningKey
    /// How long a signed task stays valid by default; a schedule's signature lasts longer.
    public static let defaultTaskValidity: TimeInterval = 86400
    public static let defaultScheduleValidity: TimeInterval = 90 * 86400

    public init(name: String, key: BundleSigningKey) {
        self.name = name
        self.key = key
    }

    public static func load(connection: OperatorConnection, explicitPath: String?) throws -> OperatorSigner {
        let environment = ProcessInfo.processInfo.environment["SHOAL_SIGNING_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        guard let path = explicitPath ?? environment ?? connection.signingKeyPath else {
            throw ShoalError(.invalidArgument, "this command signs with your operator key: pass --signing-key FILE, set SHOAL_SIGNING_KEY, or add signing_key to your operator config")
        }
        guard let certificate = try? Certificate(pemEncoded: connection.certificatePEM), let identity = PeerIdentity(certificate: certificate) else {
            throw ShoalError(.configInvalid, "the operator certificate does not name an operator")
        }
        return OperatorSigner(name: identity.name, key: try OperatorKeyFile.load(path))
    }

    /// A task (or, with `schedule`, a schedule) signed for sending.
    public func sign(_ request: TaskCreateRequest, validity: TimeInterval? = nil, schedule: TaskStatement.ScheduleGrant? = nil, now: Date = Date()) throws -> SignedTaskRequest {
        let lifetime = validity ?? (schedule == nil ? Self.defaultTaskValidity : Self.defaultScheduleValidity)
        let statement = TaskStatement(
            taskID: "t-" + RandomID.make(bytes: 6), operatorName: name, issuedAt: Timestamp.rounded(now),
            expiresAt: Timestamp.rounded(now.addingTimeInterval(lifetime)), request: request, schedule: schedule
        )
        return SignedTaskRequest(statement: try statement.signed(with: key), files: request.files)
    }

    /// A node's full new label set, as the next version after `currentVersion`.
    public func signLabels(nodeID: String, labels: [String: String], currentVersion: Int, now: Date = Date()) throws -> DSSEEnvelope {
        try LabelStatement(nodeID: nodeID, version: currentVersion + 1, labels: labels, operatorName: name, issuedAt: Timestamp.rounded(now)).signed(with: key)
    }
}
