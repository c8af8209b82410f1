import Foundation

/// The checks an agent makes before anything in a bundle runs (docs/trust.md). Two layers:
/// the coordinator's delivery (payload type, a delivery key of the trust document, this
/// node, not expired, sequence above the high-water mark) and, inside it, the operator's
/// task statement (an operator key of the trust document, not expired, inside that key's
/// scope on this node's own labels, targeting this node, not started here before, files as
/// signed). TLS is not trusted for any of this.
public struct BundleVerifier: Sendable {
    public var nodeID: String
    /// The trust document the node holds.
    public var trust: TrustDocument
    /// The node's labels as the node itself holds them (token, then signed statements).
    public var labels: [String: String]
    /// What the node claims about itself (its agent config labels), for `claimed.*` terms.
    public var claimedLabels: [String: String]
    /// The node's own facts, for the task's selector.
    public var facts: NodeFacts?
    /// The node's latest metrics sample, for `gpu.health` in the task's selector.
    public var metrics: NodeMetrics?

    public init(nodeID: String, trust: TrustDocument, labels: [String: String], claimedLabels: [String: String] = [:], facts: NodeFacts?, metrics: NodeMetrics? = nil) {
        self.metrics = metrics
        self.nodeID = nodeID
        self.trust = trust
        self.labels = labels
        self.claimedLabels = claimedLabels
        self.facts = facts
    }

    /// What passed: the bundle to run, the statement, who signed it, and the key under which
    /// the node records that it started it.
    public struct Verified: Sendable {
        public var bundle: BundlePayload
        public var statement: TaskStatement
        public var signer: String
        /// `taskID`, or `taskID@slot` for a scheduled run.
        public var ledgerKey: String
        /// Until when the ledger must remember it.
        public var ledgerExpiresAt: Date
    }

    /// Returns the verified bundle or throws a `ShoalError` (`bundle.*`, `trust.*`).
    /// `started` tells whether a ledger key was already started on this node.
    public func verify(_ envelope: DSSEEnvelope, highWaterMark: Int64, started: (String) -> Bool, now: Date = Date()) throws -> Verified {
        guard envelope.payloadType == DeliveryPayload.payloadType else {
            throw ShoalError(.bundleWrongType, "payload type is '\(envelope.payloadType)', expected '\(DeliveryPayload.payloadType)'")
        }
        try Self.requireSignature(envelope, by: trust.deliveryKeys, what: "delivery key")
        try trust.requireUnexpired(now: now)
        let delivery = try envelope.decodePayload(DeliveryPayload.self, expecting: DeliveryPayload.payloadType, malformed: .bundleMalformed)
        guard delivery.version == DeliveryPayload.currentVersion else {
            throw ShoalError(.bundleMalformed, "bundle format version \(delivery.version) is not supported by this agent (supports \(DeliveryPayload.currentVersion)); upgrade the agent")
        }
        guard delivery.nodeID == nodeID else {
            throw ShoalError(.bundleWrongNode, "bundle \(delivery.bundleID) is for node \(delivery.nodeID), this node is \(nodeID)")
        }
        guard delivery.expiresAt > now else {
            throw ShoalError(.bundleExpired, "bundle \(delivery.bundleID) expired at \(Timestamp.format(delivery.expiresAt)); re-run the task to issue a fresh one")
        }
        guard delivery.sequence > highWaterMark else {
            throw ShoalError(.bundleReplayed, "bundle \(delivery.bundleID) has sequence \(delivery.sequence), not above this node's high-water mark \(highWaterMark): a replay")
        }
        let (statement, grant) = try trust.verifyTask(delivery.statement)
        let (ledgerKey, ledgerExpiry) = try timing(statement, scheduledAt: delivery.scheduledAt, now: now)
        try checkScope(statement, grant: grant)
        try checkTarget(statement)
        guard !started(ledgerKey) else {
            throw ShoalError(.taskReplayed, "task \(ledgerKey) was already started on this node; a signed task runs once per node (re-run it with a new signature)")
        }
        let files = try signedFiles(statement, carried: delivery.files)
        let bundle = BundlePayload(
            bundleID: delivery.bundleID, taskID: delivery.taskID, nodeID: delivery.nodeID, sequence: delivery.sequence,
            issuedAt: delivery.issuedAt, expiresAt: delivery.expiresAt, timeoutSeconds: statement.timeoutSeconds, checkMode: statement.checkMode,
            steps: statement.steps, files: files, handlers: statement.handlers, vars: statement.vars, labels: labels
        )
        return Verified(bundle: bundle, statement: statement, signer: grant.name, ledgerKey: ledgerKey, ledgerExpiresAt: ledgerExpiry)
    }

    /// A task runs until it expires; a scheduled one once per tick of its signed cron, near that tick.
    func timing(_ statement: TaskStatement, scheduledAt: Date?, now: Date) throws -> (String, Date) {
        guard let schedule = statement.schedule else {
            guard statement.expiresAt > now else {
                throw ShoalError(.taskExpired, "task \(statement.taskID) expired at \(Timestamp.format(statement.expiresAt)); sign it again to run it")
            }
            return (statement.taskID, statement.expiresAt)
        }
        guard let slot = scheduledAt else {
            throw ShoalError(.bundleMalformed, "schedule '\(schedule.name)' run carries no slot time")
        }
        guard statement.issuedAt <= slot.addingTimeInterval(60), slot < statement.expiresAt else {
            throw ShoalError(.taskExpired, "schedule '\(schedule.name)' was signed for \(Timestamp.format(statement.issuedAt)) to \(Timestamp.format(statement.expiresAt)); this run is for \(Timestamp.format(slot))")
        }
        let cron = try CronSchedule(parsing: schedule.cron)
        guard cron.next(after: slot.addingTimeInterval(-1)) == slot else {
            throw ShoalError(.bundleMalformed, "\(Timestamp.format(slot)) is not a tick of schedule '\(schedule.name)' (\(schedule.cron))")
        }
        let window = TimeInterval(statement.expiresInSeconds ?? 3600)
        guard slot <= now.addingTimeInterval(300), now.timeIntervalSince(slot) <= window else {
            throw ShoalError(.taskExpired, "the run of schedule '\(schedule.name)' for \(Timestamp.format(slot)) is not due now")
        }
        return ("\(statement.taskID)@\(Timestamp.format(slot))", slot.addingTimeInterval(window))
    }

    func checkScope(_ statement: TaskStatement, grant: TrustDocument.OperatorGrant) throws {
        guard grant.scope.admits(labels: labels) else {
            throw ShoalError(.outOfScope, "operator '\(grant.name)' may reach \(grant.scope.description); this node's labels \(labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")) are outside it")
        }
        if let refusal = grant.scope.refusal(for: statement.allSteps) {
            throw ShoalError(.outOfScope, "operator '\(grant.name)': \(refusal)")
        }
    }

    func checkTarget(_ statement: TaskStatement) throws {
        if let nodes = statement.nodes, !nodes.contains(nodeID) {
            throw ShoalError(.notTargeted, "task \(statement.taskID) names nodes \(nodes.joined(separator: ",")); this node \(nodeID) is not one of them")
        }
        let selector: NodeSelector
        do { selector = try NodeSelector(parsing: statement.selector) } catch {
            throw ShoalError(.bundleMalformed, "task \(statement.taskID) has an unreadable selector")
        }
        let matches = selector.matches { key in
            SelectorFacts.value(
                for: key, id: nodeID, hostname: facts?.hostname ?? "", status: "ready", labels: labels, claimedLabels: claimedLabels, facts: facts, metrics: metrics
            )
        }
        guard matches else {
            throw ShoalError(.notTargeted, "task \(statement.taskID) targets '\(statement.selector)', which this node does not match")
        }
    }

    /// The carried files whose bytes match a hash the operator signed.
    func signedFiles(_ statement: TaskStatement, carried: [BundleFile]) throws -> [BundleFile] {
        var files: [BundleFile] = []
        for hash in statement.fileHashes {
            guard let file = carried.first(where: { $0.sha256 == hash }), let data = Data(base64Encoded: file.content), data.sha256Hex == hash else {
                throw ShoalError(.bundleFileMissing, "the bundle does not carry the file sha256:\(hash.prefix(12)) the task names, or its bytes do not match; nothing was run")
            }
            files.append(file)
        }
        return files
    }

    /// A valid signature by one of `keys`, or the error that says why not.
    public static func requireSignature(
        _ envelope: DSSEEnvelope, by keys: [TrustedBundleKey], what: String, untrusted: ShoalError.Code = .bundleUntrustedKey, document: Int? = nil
    ) throws {
        guard !envelope.signatures.isEmpty else {
            throw ShoalError(.bundleBadSignature, "the envelope carries no signature")
        }
        if !envelope.verifiedKeyIDs(among: keys).isEmpty { return }
        let known = Set(keys.map(\.keyID))
        if envelope.signatures.contains(where: { known.contains($0.keyid) }) {
            throw ShoalError(.bundleBadSignature, "the \(what) signature does not match the payload: it was altered after signing")
        }
        let ids = envelope.signatures.map(\.keyid).joined(separator: ", ")
        let held = document.map { " in trust document v\($0) (revoked, or never added)" } ?? ""
        throw ShoalError(untrusted, "signed by key(s) \(ids), none of which is a \(what) this agent trusts\(held)")
    }
}
