import Foundation
import ShoalCore

/// The fleet's state, behind one protocol so a PostgreSQL backend can stand beside SQLite.
/// Every method is one transaction.
public protocol FleetStore: Sendable {
    // Join tokens and enrollment
    func insertToken(_ token: JoinTokenRecord) async throws
    /// Consumes one use of the token with this hash and inserts the node `makeNode` builds, atomically:
    /// two racing enrollments with a single-use token cannot both succeed.
    func enroll(tokenHash: String, now: Date, makeNode: @Sendable (JoinTokenRecord) throws -> NodeRecord) async throws -> NodeRecord

    // Nodes
    func node(id: String) async throws -> NodeRecord?
    func nodes() async throws -> [NodeRecord]
    /// Records a heartbeat; a `down` node becomes `ready` again. Returns the updated node.
    func recordHeartbeat(nodeID: String, at: Date, metricsJSON: String, factsJSON: String?) async throws -> NodeRecord?
    /// Marks `ready` nodes whose last heartbeat is older than `cutoff` as `down`; returns their ids.
    func markDown(lastHeartbeatBefore cutoff: Date, now: Date) async throws -> [String]
    func events(nodeID: String) async throws -> [NodeEventRecord]

    // Tasks and deliveries
    /// Inserts the task and one delivery per node, each with the node's next sequence number,
    /// signed by `sign(node, deliveryID, sequence)`.
    func createTask(_ task: TaskRecord, nodeIDs: [String], now: Date, sign: @Sendable (String, String, Int64) throws -> String) async throws -> [DeliveryRecord]
    /// Queued deliveries for the node, moved to `delivered` in the same transaction.
    func takeQueuedDeliveries(nodeID: String, now: Date) async throws -> [DeliveryRecord]
    /// Records a node's result. Returns true when the agent may forget it (stored now or before).
    func recordResult(_ result: BundleResult, fromNode nodeID: String, now: Date) async throws -> Bool
    func task(id: String) async throws -> TaskRecord?
    func tasks(limit: Int) async throws -> [TaskRecord]
    func deliveries(taskID: String) async throws -> [DeliveryRecord]

    // Audit
    func audit(_ record: AuditRecord) async throws
}
