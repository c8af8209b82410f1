import Foundation
import ShoalCore

// Methods not built on PostgreSQL yet: each answers `server.internal` naming itself.
extension PostgresFleetStore {
    static func unbuilt(_ function: String) -> ShoalError {
        ShoalError(.internalError, "PostgresFleetStore.\(function) is not built yet")
    }

    public func insertToken(_ token: JoinTokenRecord, audit: AuditEntry) async throws { throw Self.unbuilt(#function) }
    public func token(hash: String) async throws -> JoinTokenRecord? { throw Self.unbuilt(#function) }
    public func enroll(tokenHash: String, now: Date, makeNode: @escaping @Sendable (JoinTokenRecord) throws -> NodeRecord) async throws -> NodeRecord { throw Self.unbuilt(#function) }
    public func node(id: String) async throws -> NodeRecord? { throw Self.unbuilt(#function) }
    public func nodes() async throws -> [NodeRecord] { throw Self.unbuilt(#function) }
    public func nodeSummaries(ids: [String]) async throws -> [String: NodeSummary] { throw Self.unbuilt(#function) }
    public func nodeCredential(id: String) async throws -> NodeCredential? { throw Self.unbuilt(#function) }
    public func recordHeartbeat( nodeID: String, at: Date, metricsJSON: String, factsJSON: String?, point: MetricPoint?, labelsVersionHeld: Int, coordinatorURL: String? ) async throws -> HeartbeatOutcome? { throw Self.unbuilt(#function) }
    public func markDown(lastHeartbeatBefore cutoff: Date, now: Date) async throws -> [String] { throw Self.unbuilt(#function) }
    public func oldestReadyHeartbeat() async throws -> Date? { throw Self.unbuilt(#function) }
    public func events(nodeID: String) async throws -> [NodeEventRecord] { throw Self.unbuilt(#function) }
    public func metricPoints(nodeID: String, since: Date, until: Date, resolution: MetricHistoryResponse.Resolution) async throws -> [MetricPoint] { throw Self.unbuilt(#function) }
    public func usage(since: Date, until: Date) async throws -> [NodeUsage] { throw Self.unbuilt(#function) }
    public func pruneMetricHistory(minutesBefore: Date, hoursBefore: Date) async throws -> Int { throw Self.unbuilt(#function) }
    public func revoke(nodeID: String, reason: String, now: Date, audit: AuditEntry) async throws -> NodeRecord? { throw Self.unbuilt(#function) }
    public func replaceCertificate(nodeID: String, serial: String, expiresAt: Date, issuerCA: String, key: String, now: Date) async throws { throw Self.unbuilt(#function) }
    public func recordCertificateKey(nodeID: String, serial: String, key: String) async throws { throw Self.unbuilt(#function) }
    public func confirmCertificate(nodeID: String, serial: String) async throws { throw Self.unbuilt(#function) }
    public func finishedTasks() async throws -> [FinishedTaskFootprint] { throw Self.unbuilt(#function) }
    public func deleteFinishedTasks(ids: [String]) async throws -> Int { throw Self.unbuilt(#function) }
    public func pruneNodeEvents(before: Date, keepPerNode: Int) async throws -> Int { throw Self.unbuilt(#function) }
    public func pruneScheduleRuns(before: Date, keepPerSchedule: Int) async throws -> Int { throw Self.unbuilt(#function) }
    public func metricsSnapshot() async throws -> FleetMetricsSnapshot { throw Self.unbuilt(#function) }
    public func trustDocuments(after version: Int) async throws -> [TrustDocumentRecord] { throw Self.unbuilt(#function) }
    public func latestTrustDocument() async throws -> TrustDocumentRecord? { throw Self.unbuilt(#function) }
    public func installTrustDocument(_ record: TrustDocumentRecord, audit: AuditEntry) async throws { throw Self.unbuilt(#function) }
    public func setLabels(nodeID: String, labelsJSON: String, version: Int, statementJSON: String?, audit: AuditEntry) async throws -> NodeRecord? { throw Self.unbuilt(#function) }
}
