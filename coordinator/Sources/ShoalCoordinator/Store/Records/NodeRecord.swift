import Foundation
import ShoalCore

/// A row of `nodes`: one enrolled machine.
public struct NodeRecord: Codable, Sendable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        case ready, down, revoked
    }

    public var id: String
    public var hostname: String
    public var status: Status
    /// Labels that select work: from the join token and from operators, never from the node.
    public var labelsJSON: String
    /// Labels the node reported about itself (its agent config), kept apart: selectors reach
    /// them only as `claimed.KEY`, so a node cannot put itself into a selection.
    public var claimedLabelsJSON: String
    /// 0 for the join token's labels; each operator-signed label statement raises it by one.
    public var labelsVersion: Int
    /// The operator-signed `LabelStatement` that set `labelsJSON` (nil: the token's labels).
    public var labelStatementJSON: String?
    public var factsJSON: String?
    public var metricsJSON: String?
    public var enrolledAt: Date
    public var lastHeartbeatAt: Date?
    /// The serial of the one certificate this node may use; older ones are refused.
    public var certificateSerial: String
    /// The certificate replaced by the last renewal, accepted until the node first uses the
    /// new one, so a renewal answer lost on the way cannot lock the node out.
    public var previousCertificateSerial: String?
    public var certificateExpiresAt: Date
    /// The last bundle sequence number issued to this node.
    public var lastSequence: Int64
    /// The join token the node enrolled with.
    public var tokenID: String?
    /// The IP address its enrollment request came from; nil for nodes enrolled before it was recorded.
    public var enrolledFrom: String?
    /// Fingerprint of the fleet CA that issued `certificateSerial` (see `ca rotate`); nil for
    /// certificates issued before it was recorded, which the first CA issued.
    public var certificateCA: String? = nil
    /// `publicKeyHash` of that certificate; nil for nodes not seen since it was recorded.
    public var certificateKey: String? = nil
    /// The coordinator URL the node's last heartbeat said it sends to (one of its configured
    /// URLs). Node-supplied and display-only: the coordinator never connects to it, so a
    /// hostile node can only mislabel itself. Nil until an agent that reports it beats.
    public var coordinatorURL: String? = nil

    public var labels: [String: String] {
        (try? WireCoding.decode([String: String].self, from: Data(labelsJSON.utf8))) ?? [:]
    }

    public var claimedLabels: [String: String] {
        (try? WireCoding.decode([String: String].self, from: Data(claimedLabelsJSON.utf8))) ?? [:]
    }

    public var labelStatement: DSSEEnvelope? {
        labelStatementJSON.flatMap { try? WireCoding.decode(DSSEEnvelope.self, from: Data($0.utf8)) }
    }

    public var facts: NodeFacts? {
        factsJSON.flatMap { try? WireCoding.decode(NodeFacts.self, from: Data($0.utf8)) }
    }

    public var metrics: NodeMetrics? {
        metricsJSON.flatMap { try? WireCoding.decode(NodeMetrics.self, from: Data($0.utf8)) }
    }

    public var enrollment: NodeEnrollmentView {
        NodeEnrollmentView(nodeID: id, hostname: hostname, enrolledAt: enrolledAt, tokenID: tokenID, enrolledFrom: enrolledFrom)
    }

    public var view: NodeView {
        NodeView(
            id: id, hostname: hostname, status: status.rawValue, labels: labels, claimedLabels: claimedLabels, labelsVersion: labelsVersion, enrolledAt: enrolledAt,
            lastHeartbeatAt: lastHeartbeatAt, facts: facts, metrics: metrics, certificateExpiresAt: certificateExpiresAt,
            coordinatorURL: coordinatorURL
        )
    }
}

extension NodeRecord.Status {
    /// The status column as read back; a value this build does not know (a newer coordinator
    /// wrote it) is an error naming the node, not a guess.
    init(stored: String, nodeID: String) throws {
        guard let status = Self(rawValue: stored) else {
            throw ShoalError(.internalError, "node \(nodeID) has an unknown status '\(stored)' in the database")
        }
        self = status
    }
}

extension NodeRecord {
    /// Refuses a label change unless `version` is the node's next label version: an
    /// operator who read the labels before someone else changed them must read them again.
    func checkNextLabelsVersion(_ version: Int) throws {
        guard version == labelsVersion + 1 else {
            throw ShoalError(.labelsRefused, "node \(id) is at label version \(labelsVersion); a change must be version \(labelsVersion + 1) (someone changed its labels meanwhile: read them again)")
        }
    }
}

extension Encodable {
    /// Compact sorted JSON text for a JSON column.
    func jsonText() throws -> String {
        String(decoding: try WireCoding.encode(self), as: UTF8.self)
    }
}
