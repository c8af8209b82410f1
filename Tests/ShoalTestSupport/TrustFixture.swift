import Foundation
import ShoalCore

/// A fleet's signing keys for tests: one root, the coordinator's delivery key and an operator
/// (`admin`, unrestricted unless given a scope), the trust document they make, and helpers
/// that sign task statements and deliveries the way the CLI and the coordinator do.
public struct TrustFixture: Sendable {
    public let fleet: String
    public let root: BundleSigningKey
    public let delivery: BundleSigningKey
    public let operatorKey: BundleSigningKey
    public let operatorName: String
    public let document: TrustDocument
    public let envelope: DSSEEnvelope

    public init(fleet: String = "fleet-test", operatorName: String = "admin", scope: OperatorScope = .unrestricted, now: Date = Date()) throws {
        self.fleet = fleet
        self.root = BundleSigningKey()
        self.delivery = BundleSigningKey()
        self.operatorKey = BundleSigningKey()
        self.operatorName = operatorName
        let document = TrustDocument.initial(
            fleet: fleet, roots: .init(threshold: 1, keys: [root.publicKey]), deliveryKeys: [delivery.publicKey],
            operators: [.init(name: operatorName, key: operatorKey.publicKey, scope: scope)], now: now.addingTimeInterval(-60)
        )
        self.document = document
        self.envelope = try document.signed(by: [root])
    }

    /// A task statement signed by the fixture's operator (or `key`).
    public func statement(
        steps: [StepSpec], taskID: String = "t-" + RandomID.make(bytes: 6), selector: String = "", nodes: [String]? = nil,
        timeout: Int = 60, checkMode: Bool = false, files: [BundleFile] = [], expiresIn: TimeInterval = 600,
        schedule: TaskStatement.ScheduleGrant? = nil, key: BundleSigningKey? = nil, operatorName: String? = nil, now: Date = Date()
    ) throws -> DSSEEnvelope {
        let request = TaskCreateRequest(name: "test", steps: steps, selector: selector, nodes: nodes, timeoutSeconds: timeout, checkMode: checkMode, files: files)
        return try TaskStatement(
            taskID: taskID, operatorName: operatorName ?? self.operatorName, issuedAt: now.addingTimeInterval(-1), expiresAt: now.addingTimeInterval(expiresIn),
            request: request, schedule: schedule
        ).signed(with: key ?? operatorKey)
    }

    /// A delivery of `statement` to `nodeID`, signed by the delivery key (or `key`).
    public func delivery(
        _ statement: DSSEEnvelope, bundleID: String = "b-1", nodeID: String = "node-1", sequence: Int64 = 7, files: [BundleFile] = [],
        expiresIn: TimeInterval = 600, scheduledAt: Date? = nil, key: BundleSigningKey? = nil, now: Date = Date()
    ) throws -> DSSEEnvelope {
        try DeliveryPayload(
            bundleID: bundleID, taskID: "task-1", nodeID: nodeID, sequence: sequence, issuedAt: now,
            expiresAt: now.addingTimeInterval(expiresIn), statement: statement, files: files, scheduledAt: scheduledAt
        ).signed(with: key ?? delivery)
    }

    /// The next document after this fixture's, edited and signed by its root.
    public func next(_ edit: (inout TrustDocument) throws -> Void, signers: [BundleSigningKey]? = nil) throws -> (TrustDocument, DSSEEnvelope) {
        let next = try document.next(edit)
        return (next, try next.signed(by: signers ?? [root]))
    }
}
