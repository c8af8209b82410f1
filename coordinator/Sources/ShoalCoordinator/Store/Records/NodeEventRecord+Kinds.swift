import Foundation
import ShoalCore

/// The node events the store records, one constructor a kind, so every backend words them alike.
extension NodeEventRecord {
    static func enrolled(_ node: NodeRecord, token: JoinTokenRecord, at: Date) -> Self {
        Self(nodeID: node.id, at: at, kind: "enrolled", detail: "hostname \(node.hostname), token \(token.id)")
    }

    /// A heartbeat from a node marked down.
    static func backReady(nodeID: String, at: Date) -> Self {
        Self(nodeID: nodeID, at: at, kind: "ready", detail: "heartbeat received after being down")
    }

    static func down(nodeID: String, lastHeartbeatAt: Date?, at: Date) -> Self {
        Self(nodeID: nodeID, at: at, kind: "down", detail: "no heartbeat since \(lastHeartbeatAt.map(Timestamp.format) ?? "enrollment")")
    }

    static func revoked(nodeID: String, reason: String, at: Date) -> Self {
        Self(nodeID: nodeID, at: at, kind: "revoked", detail: reason)
    }

    static func certificateRenewed(nodeID: String, serial: String, expiresAt: Date, at: Date) -> Self {
        Self(nodeID: nodeID, at: at, kind: "certificate_renewed", detail: "serial \(serial), valid until \(Timestamp.format(expiresAt))")
    }
}
