import Foundation
import ShoalCore

// Methods not built on PostgreSQL yet: each answers `server.internal` naming itself.
extension PostgresFleetStore {
    static func unbuilt(_ function: String) -> ShoalError {
        ShoalError(.internalError, "PostgresFleetStore.\(function) is not built yet")
    }

    public func createTask(_ task: TaskRecord, deliveries: [DeliveryRecord], audit: AuditEntry) async throws { throw Self.unbuilt(#function) }
    public func queue(deliveryID: String, now: Date, sign: @escaping @Sendable (DeliveryRecord, Int64) throws -> String) async throws -> DeliveryRecord? { throw Self.unbuilt(#function) }
    public func transition( deliveryID: String, from: Set<NodeTaskStatus>?, to next: NodeTaskStatus, now: Date, errorCode: String?, message: String?, notBefore: Date?, countAttempt: Bool ) async throws -> DeliveryRecord? { throw Self.unbuilt(#function) }
    public func takeQueuedDeliveries(nodeID: String, now: Date) async throws -> [DeliveryRecord] { throw Self.unbuilt(#function) }
    public func startDelivery(deliveryID: String, nodeID: String, now: Date) async throws -> Bool { throw Self.unbuilt(#function) }
    public func recordResult(_ result: BundleResult, fromNode nodeID: String, now: Date) async throws -> Bool { throw Self.unbuilt(#function) }
    public func cancellationsRequested(nodeID: String) async throws -> [String] { throw Self.unbuilt(#function) }
    public func requestCancel(taskID: String, reason: String, now: Date, audit: AuditEntry) async throws -> TaskRecord? { throw Self.unbuilt(#function) }
    public func requestHalt(taskID: String, reason: String, code: ShoalError.Code, now: Date) async throws { throw Self.unbuilt(#function) }
    public func setRolloutStatus(taskID: String, to next: RolloutStatus, reason: String?, now: Date) async throws -> Bool { throw Self.unbuilt(#function) }
    public func task(id: String) async throws -> TaskRecord? { throw Self.unbuilt(#function) }
    public func tasks(limit: Int) async throws -> [TaskRecord] { throw Self.unbuilt(#function) }
    public func unfinishedTasks() async throws -> [TaskRecord] { throw Self.unbuilt(#function) }
    public func deliveries(taskID: String) async throws -> [DeliveryRecord] { throw Self.unbuilt(#function) }
    public func activeDeliveries(taskID: String) async throws -> [DeliveryRecord] { throw Self.unbuilt(#function) }
    public func pendingDeliveries(taskID: String, afterPosition position: Int, limit: Int) async throws -> [DeliveryRecord] { throw Self.unbuilt(#function) }
    public func endedBadlyCanary(taskID: String) async throws -> DeliveryRecord? { throw Self.unbuilt(#function) }
    public func delivery(id: String) async throws -> DeliveryRecord? { throw Self.unbuilt(#function) }
    public func claimRollouts(holder: String, now: Date, until: Date) async throws -> RolloutClaim { throw Self.unbuilt(#function) }
    public func releaseRollouts(holder: String) async throws { throw Self.unbuilt(#function) }
    public func claimScheduleRun(name: String, slot: Date, next: Date) async throws -> Bool { throw Self.unbuilt(#function) }
    public func insertSchedule(_ schedule: ScheduleRecord, audit: AuditEntry) async throws { throw Self.unbuilt(#function) }
    public func schedules() async throws -> StoredSchedules { throw Self.unbuilt(#function) }
    public func deleteSchedule(name: String, audit: AuditEntry) async throws -> Bool { throw Self.unbuilt(#function) }
    public func recordScheduleRun(_ run: ScheduleRunRecord, nextRunAt: Date, startedTaskID: String?) async throws { throw Self.unbuilt(#function) }
    public func scheduleRuns(name: String, limit: Int) async throws -> [ScheduleRunRecord]? { throw Self.unbuilt(#function) }
    public func recordOperatorCredential(_ record: OperatorCredentialRecord, audit: AuditEntry?) async throws { throw Self.unbuilt(#function) }
    public func operatorCredential(serial: String) async throws -> OperatorCredentialRecord? { throw Self.unbuilt(#function) }
    public func operatorCredentials() async throws -> [OperatorCredentialRecord] { throw Self.unbuilt(#function) }
    public func revokeOperatorCredentials( name: String?, serial: String?, by: String, now: Date, audit: @escaping @Sendable ([OperatorCredentialRecord]) -> AuditEntry ) async throws -> [OperatorCredentialRecord] { throw Self.unbuilt(#function) }
}
