import Foundation
import ShoalCore

/// The fleet's state, behind one protocol so a PostgreSQL backend can stand beside SQLite.
/// Every method is one transaction. A method that changes the fleet for an operator takes the
/// `AuditEntry` that records it and appends it to the audit chain in that same transaction,
/// only when the change happens (not for a nil or false answer).
public protocol FleetStore: Sendable {
    // Join tokens and enrollment
    func insertToken(_ token: JoinTokenRecord, audit: AuditEntry) async throws
    /// The token with this hash, read only (enrollment checks it before signing anything).
    func token(hash: String) async throws -> JoinTokenRecord?
    /// Consumes one use of the token with this hash and inserts the node `makeNode` builds, atomically:
    /// two racing enrollments with a single-use token cannot both succeed.
    func enroll(tokenHash: String, now: Date, makeNode: @escaping @Sendable (JoinTokenRecord) throws -> NodeRecord) async throws -> NodeRecord

    // Nodes
    func node(id: String) async throws -> NodeRecord?
    func nodes() async throws -> [NodeRecord]
    /// Id, hostname and status of the nodes with these ids, by id (unknown ids are left out).
    func nodeSummaries(ids: [String]) async throws -> [String: NodeSummary]
    /// The status and certificate of a node, what every agent request is checked against.
    func nodeCredential(id: String) async throws -> NodeCredential?
    /// Records a heartbeat; a `down` node becomes `ready` again. The first heartbeat of a
    /// minute also writes `point` to the metric history (minute and hour). Returns what the
    /// answer needs (the label statement only when newer than `labelsVersionHeld`), nil for
    /// an unknown node.
    /// `coordinatorURL`: the URL the node says it uses (display only); nil keeps the last one.
    func recordHeartbeat(
        nodeID: String, at: Date, metricsJSON: String, factsJSON: String?, point: MetricPoint?, labelsVersionHeld: Int, coordinatorURL: String?
    ) async throws -> HeartbeatOutcome?
    /// Marks `ready` nodes whose last heartbeat is older than `cutoff` as `down`; returns their ids.
    func markDown(lastHeartbeatBefore cutoff: Date, now: Date) async throws -> [String]
    /// The oldest last heartbeat (or, never having sent one, enrollment) of a `ready` node:
    /// when the next one can be overdue. Nil when no node is ready.
    func oldestReadyHeartbeat() async throws -> Date?
    func events(nodeID: String) async throws -> [NodeEventRecord]
    /// A node's metric history in `[since, until)`, oldest first.
    func metricPoints(nodeID: String, since: Date, until: Date, resolution: MetricHistoryResponse.Resolution) async throws -> [MetricPoint]
    /// Usage per node over the hours in `[since, until)`, from the hour sums.
    func usage(since: Date, until: Date) async throws -> [NodeUsage]
    /// Deletes minute points before `minutesBefore` and hour points before `hoursBefore`; returns how many.
    func pruneMetricHistory(minutesBefore: Date, hoursBefore: Date) async throws -> Int
    /// Marks a node revoked: its certificate is refused from its next request on, its
    /// unfinished deliveries are cancelled. Returns the node, nil if unknown.
    func revoke(nodeID: String, reason: String, now: Date, audit: AuditEntry) async throws -> NodeRecord?
    /// Records the node's renewed certificate; the old one is refused from then on.
    func replaceCertificate(nodeID: String, serial: String, expiresAt: Date, issuerCA: String, key: String, now: Date) async throws
    /// Records the key of the node's current certificate where none is on record yet.
    func recordCertificateKey(nodeID: String, serial: String, key: String) async throws
    /// The node used its current certificate: stop accepting the previous one.
    func confirmCertificate(nodeID: String, serial: String) async throws

    // Tasks and deliveries (see NodeTaskStatus for the state machine)
    /// Inserts a task and its deliveries, all `pending`.
    func createTask(_ task: TaskRecord, deliveries: [DeliveryRecord], audit: AuditEntry) async throws
    /// `pending → queued`: assigns the node's next sequence number and stores the envelope
    /// `sign(delivery, sequence)` returns. Nil when the delivery is no longer pending.
    func queue(deliveryID: String, now: Date, sign: @escaping @Sendable (DeliveryRecord, Int64) throws -> String) async throws -> DeliveryRecord?
    /// Moves a delivery to `next` if it is in one of `from` (any state when nil) and the move
    /// is legal; an illegal move is refused and logged as a node event. Returns the updated
    /// record, or nil when nothing changed. `countAttempt` counts a try that never got queued
    /// (the node was down when its turn came).
    func transition(
        deliveryID: String, from: Set<NodeTaskStatus>?, to next: NodeTaskStatus, now: Date,
        errorCode: String?, message: String?, notBefore: Date?, countAttempt: Bool
    ) async throws -> DeliveryRecord?
    /// Queued deliveries for the node, moved to `sent` in the same transaction, and those
    /// already `sent` that the agent never confirmed (handed out again).
    func takeQueuedDeliveries(nodeID: String, now: Date) async throws -> [DeliveryRecord]
    /// The agent confirms it has the bundle and is about to run it: `sent → running`, or `→ cancelled` (returns false)
    /// when the operator cancelled meanwhile.
    func startDelivery(deliveryID: String, nodeID: String, now: Date) async throws -> Bool
    /// Records a node's result. Returns true when the agent may forget it (stored now or before).
    func recordResult(_ result: BundleResult, fromNode nodeID: String, now: Date) async throws -> Bool
    /// Deliveries the node is running that the operator asked to stop.
    func cancellationsRequested(nodeID: String) async throws -> [String]
    /// Marks the task cancelled-on-request: pending, queued and waiting deliveries are
    /// cancelled now; sent and running ones are flagged for the agent.
    func requestCancel(taskID: String, reason: String, now: Date, audit: AuditEntry) async throws -> TaskRecord?
    /// Stops new starts: pending deliveries are cancelled, the rollout will end `halted`.
    func requestHalt(taskID: String, reason: String, code: ShoalError.Code, now: Date) async throws
    /// Moves the rollout if legal; returns whether it moved.
    func setRolloutStatus(taskID: String, to next: RolloutStatus, reason: String?, now: Date) async throws -> Bool
    func task(id: String) async throws -> TaskRecord?
    func tasks(limit: Int) async throws -> [TaskRecord]
    func unfinishedTasks() async throws -> [TaskRecord]
    func deliveries(taskID: String) async throws -> [DeliveryRecord]
    /// The task's deliveries in a state that still moves (queued, sent, running, retry_wait), in rollout order.
    func activeDeliveries(taskID: String) async throws -> [DeliveryRecord]
    /// Up to `limit` pending deliveries after `position`, in rollout order.
    func pendingDeliveries(taskID: String, afterPosition position: Int, limit: Int) async throws -> [DeliveryRecord]
    /// A canary of the task that failed or was cancelled, if any.
    func endedBadlyCanary(taskID: String) async throws -> DeliveryRecord?
    /// Hears every committed change of a task or of its deliveries (see `TaskChangeFeed`).
    var taskChanges: TaskChangeFeed { get }
    func delivery(id: String) async throws -> DeliveryRecord?

    // Replicas: work claimed in the database (SQLiteFleetStore+Leases.swift)
    /// Leases to `holder`, until `until`, every unfinished rollout whose lease is free, run
    /// out at `now`, or `holder`'s already; drops the leases of finished ones. Returns the
    /// rollouts `holder` now drives and what other replicas hold.
    func claimRollouts(holder: String, now: Date, until: Date) async throws -> RolloutClaim
    /// Gives up `holder`'s rollout leases (a replica shutting down), so another replica takes
    /// them over at once rather than when they run out.
    func releaseRollouts(holder: String) async throws
    /// Claims the run of schedule `name` due at `slot` by moving its next run from `slot` to
    /// `next`; false when it is no longer due at `slot` (another replica claimed it).
    func claimScheduleRun(name: String, slot: Date, next: Date) async throws -> Bool

    // Schedules
    /// Inserts a schedule; a name already in use is `request.invalid_argument`.
    func insertSchedule(_ schedule: ScheduleRecord, audit: AuditEntry) async throws
    /// Every schedule; rows that cannot be read come back as `broken`, not as an error.
    func schedules() async throws -> StoredSchedules
    func deleteSchedule(name: String, audit: AuditEntry) async throws -> Bool
    /// Records one due run and moves the schedule on, in one transaction.
    func recordScheduleRun(_ run: ScheduleRunRecord, nextRunAt: Date, startedTaskID: String?) async throws
    /// The newest runs first; nil when no schedule of that name exists and none ever ran.
    func scheduleRuns(name: String, limit: Int) async throws -> [ScheduleRunRecord]?

    // Operator credentials (SQLiteFleetStore+Operators.swift)
    /// Records an operator certificate and, with `audit`, appends its entry (issued or
    /// renewed); nil only for a certificate from before credentials were recorded, seen in
    /// use. One whose serial is already recorded is left as it is, and nothing is appended.
    func recordOperatorCredential(_ record: OperatorCredentialRecord, audit: AuditEntry?) async throws
    func operatorCredential(serial: String) async throws -> OperatorCredentialRecord?
    /// Every recorded operator credential, by name, then oldest first.
    func operatorCredentials() async throws -> [OperatorCredentialRecord]
    /// Revokes every unrevoked credential named `name`, or the one with `serial`, and returns
    /// them (none when all were revoked already); `audit` makes the entry for those revoked,
    /// appended only when there are some. `request.not_found` when nothing has that name or
    /// serial; `request.conflict`, changing nothing, when no active admin would remain.
    func revokeOperatorCredentials(
        name: String?, serial: String?, by: String, now: Date, audit: @escaping @Sendable ([OperatorCredentialRecord]) -> AuditEntry
    ) async throws -> [OperatorCredentialRecord]

    // Audit (see AuditLink for the chain, docs/security.md "Audit")
    /// Appends an entry on its own; every change the coordinator makes appends its entry in
    /// the method that makes it instead.
    func appendAudit(_ entry: AuditEntry) async throws
    func auditEntries(_ query: AuditQuery) async throws -> [AuditLogEntry]
    /// The newest link, nil before the first.
    func auditHead() async throws -> AuditHead?
    /// The frozen free-text rows from before the chain, in id order.
    func legacyAuditRows() async throws -> [LegacyAuditRow]
    /// Adds counts of the coordinator's key use (see KeyUseCounter).
    func addKeyUse(_ counts: [KeyUseCount]) async throws
    func keyUse() async throws -> [KeyUseView]

    // Retention (`StoragePruner`); the audit log is never pruned.
    /// Finished tasks (rollout status final), oldest finish first, with their size in the database.
    func finishedTasks() async throws -> [FinishedTaskFootprint]
    /// Deletes those of these tasks that are finished, with their deliveries; returns how many.
    func deleteFinishedTasks(ids: [String]) async throws -> Int
    /// Deletes node events older than `before`, then all but each node's newest `keepPerNode`.
    func pruneNodeEvents(before: Date, keepPerNode: Int) async throws -> Int
    /// Deletes schedule runs older than `before`, then all but each schedule's newest `keepPerSchedule`.
    func pruneScheduleRuns(before: Date, keepPerSchedule: Int) async throws -> Int
    // Metrics (SQLiteFleetStore+Metrics.swift)
    /// Everything a `/metrics` scrape reports about the fleet, in one read transaction.
    func metricsSnapshot() async throws -> FleetMetricsSnapshot
    // Trust (docs/trust.md)
    /// Documents above `version`, oldest first: the chain an agent at `version` must walk.
    func trustDocuments(after version: Int) async throws -> [TrustDocumentRecord]
    func latestTrustDocument() async throws -> TrustDocumentRecord?
    /// Stores a document the caller has checked; refused (`trust.rollback`) unless it is newer
    /// than every stored one, atomically.
    func installTrustDocument(_ record: TrustDocumentRecord, audit: AuditEntry) async throws
    /// Sets a node's labels to what an operator-signed statement says, if `version` is the
    /// node's next label version (`labels.refused` otherwise).
    func setLabels(nodeID: String, labelsJSON: String, version: Int, statementJSON: String?, audit: AuditEntry) async throws -> NodeRecord?
}
