import Foundation
import ShoalCore

/// What this node trusts to decide what runs on it (docs/trust.md), kept in the state
/// directory and written before it is used:
///
/// ```
/// trust.json          the newest trust document accepted (its DSSE envelope)
/// labels.json         this node's labels: the join token's, then signed label statements
/// started-tasks.json  task ids (and schedule slots) started here, until they expire
/// ca.crt              the CAs the held document lists, when it lists any (CA rotation)
/// ```
///
/// Every change is checked first — a trust document against the one held, a label statement
/// against the operator scopes — so nothing the coordinator says can widen what may run here.
public actor TrustState {
    let state: AgentStateDirectory
    /// `trust_root` from agent.yaml: the root fingerprint a first document must have.
    let pinnedRoots: String?
    public private(set) var document: TrustDocument?
    public private(set) var labels: NodeLabelSet
    private var started: [String: Date]
    /// Told the new CA bundle when a document changes which CAs to trust (the TLS client).
    private var caChangeHandler: (@Sendable (String) throws -> Void)?

    public init(state: AgentStateDirectory, pinnedRoots: String? = nil, enrolledLabels: [String: String] = [:]) throws {
        self.state = state
        self.pinnedRoots = pinnedRoots
        self.document = try Self.loadDocument(state)
        // Defaults only for files never written: a damaged label set would take signed label
        // changes back to version 0, a damaged ledger would let started tasks run again.
        self.labels = try Self.loadIfPresent(NodeLabelSet.self, state.labelsFile) ?? NodeLabelSet(version: 0, labels: enrolledLabels)
        self.started = try Self.loadIfPresent([String: Date].self, state.startedTasksFile) ?? [:]
        // A stop between writing trust.json and ca.crt is mended here, before any connection.
        _ = try Self.writeCAFile(for: document, state: state)
    }

    /// Called with the new CA bundle, after ca.crt holds it, whenever an accepted document
    /// changes the CAs this node trusts.
    public func onCAChange(_ handler: @escaping @Sendable (String) throws -> Void) {
        caChangeHandler = handler
    }

    /// Writes the document's CA list to ca.crt when it lists one that differs; returns the
    /// bundle written. A document without a list leaves the CA pinned at enrollment.
    static func writeCAFile(for document: TrustDocument?, state: AgentStateDirectory) throws -> String? {
        guard let bundle = document?.caBundle, (try? SecureFile.read(state.caFile)) != bundle else { return nil }
        try SecureFile.write(bundle, to: state.caFile, mode: 0o644)
        return bundle
    }

    private static func loadIfPresent<Value: Decodable>(_ type: Value.Type, _ path: String) throws -> Value? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try WireCoding.decode(type, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ShoalError(.storage, "cannot read \(path): \(error); restore it from a backup or re-enroll this node (the file guards against replays, so it is not reset)")
        }
    }

    public var version: Int { document?.version ?? 0 }

    /// Accepts newer documents, in order; each is persisted before the next is looked at.
    /// Returns how many were taken. A bad one stops the chain with its error; the ones
    /// before it stay accepted.
    @discardableResult
    public func accept(chain: [DSSEEnvelope], now: Date = Date()) throws -> Int {
        var taken = 0
        for (index, envelope) in chain.enumerated() {
            // Only the document this node ends up holding must be current.
            let last = index == chain.count - 1
            let next = try TrustDocument.accept(envelope, after: document, fleet: document?.fleet, now: now, pinnedRoots: pinnedRoots, checkExpiry: last)
            try SecureFile.write(WireCoding.encode(envelope, pretty: true), to: state.trustFile)
            document = next
            taken += 1
            if let bundle = try Self.writeCAFile(for: next, state: state) { try caChangeHandler?(bundle) }
        }
        return taken
    }

    /// Accepts an operator-signed label statement for this node: signed by an operator of
    /// the held document whose scope admits this node under its current labels and under the
    /// new ones, and newer than the labels held.
    public func accept(labelStatement envelope: DSSEEnvelope, nodeID: String) throws {
        guard let document else { throw ShoalError(.trustMissing, "no trust document yet: label statements cannot be checked") }
        let (statement, _) = try document.verifyLabels(envelope, nodeID: nodeID, current: labels.labels)
        guard statement.version > labels.version else {
            throw ShoalError(.labelsRefused, "label statement v\(statement.version) is not newer than the labels held (v\(labels.version))")
        }
        let next = NodeLabelSet(version: statement.version, labels: statement.labels)
        try SecureFile.write(WireCoding.encode(next, pretty: true), to: state.labelsFile)
        labels = next
    }

    /// A verifier for one bundle under what is held now; `trust.missing` before any document.
    public func verifier(nodeID: String, claimedLabels: [String: String], facts: NodeFacts?) throws -> BundleVerifier {
        guard let document else {
            throw ShoalError(.trustMissing, "this node holds no trust document yet, so it runs nothing; it arrives with the next poll once the fleet has one ('coordinator root publish')")
        }
        return BundleVerifier(nodeID: nodeID, trust: document, labels: labels.labels, claimedLabels: claimedLabels, facts: facts)
    }

    /// The ledger keys started here that have not expired.
    public func startedKeys(now: Date = Date()) -> Set<String> {
        Set(started.filter { $0.value > now }.keys)
    }

    /// Records that a task is starting, durably, before its first step; drops expired entries.
    public func recordStarted(_ key: String, until expiry: Date, now: Date = Date()) throws {
        var next = started.filter { $0.value > now }
        next[key] = expiry
        try SecureFile.write(WireCoding.encode(next), to: state.startedTasksFile)
        started = next
    }

    static func loadDocument(_ state: AgentStateDirectory) throws -> TrustDocument? {
        guard FileManager.default.fileExists(atPath: state.trustFile) else { return nil }
        do {
            let envelope = try WireCoding.decode(DSSEEnvelope.self, from: Data(contentsOf: URL(fileURLWithPath: state.trustFile)))
            let document = try envelope.decodePayload(TrustDocument.self, expecting: TrustDocument.payloadType, malformed: .trustMalformed)
            try envelope.requireThreshold(of: document.roots, version: document.version)
            return document
        } catch {
            throw ShoalError(.storage, "\(state.trustFile) is unreadable or not validly signed (\(error)); refusing to guess what to trust — restore it or re-enroll the node")
        }
    }
}
