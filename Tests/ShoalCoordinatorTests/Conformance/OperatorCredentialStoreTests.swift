import Foundation
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// Operator credentials at the store (each backend's, `StoreBackend`): status, revocation by name and
/// by serial, and the last active admin that cannot be revoked.
@Suite final class OperatorCredentialStoreTests {
    let store: any FleetStore
    let now = Date()

    init() async throws {
        store = try await StoreBackend.makeStore()
    }


    @discardableResult
    func add(_ serial: String, _ name: String, _ role: PeerIdentity.Role, expiresIn: TimeInterval = 86400, renewalOf: String? = nil) async throws -> OperatorCredentialRecord {
        let record = OperatorCredentialRecord(
            serial: serial, name: name, role: role, issuedAt: now.addingTimeInterval(-60), expiresAt: now.addingTimeInterval(expiresIn),
            issuedBy: "admin admin", renewalOf: renewalOf
        )
        try await store.recordOperatorCredential(record, audit: .operatorCreated(record, validityDays: 1, by: PeerIdentity(role: .admin, name: "admin")))
        return record
    }

    /// Revokes as the route does, with the entry the route makes.
    func revoke(name: String?, serial: String?, by: String, now: Date) async throws -> [OperatorCredentialRecord] {
        try await store.revokeOperatorCredentials(name: name, serial: serial, by: by, now: now) { records in
            .operatorRevoked(records, by: PeerIdentity(role: .admin, name: "admin"), at: now)
        }
    }

    func auditActions() async throws -> [String] {
        try await store.auditEntries(AuditQuery(limit: 100)).map(\.action)
    }


    @Test func listsEveryCredentialWithItsStatus() async throws {
        try await add("0a", "admin", .admin)
        try await add("0b", "vera", .viewer, expiresIn: -1)
        try await add("0c", "otto", .operator)
        _ = try await revoke(name: "otto", serial: nil, by: "admin admin", now: now)
        let listed = try await store.operatorCredentials()
        #expect(listed.map(\.name) == ["admin", "otto", "vera"])
        #expect(listed.map { $0.status(at: now) } == [.active, .revoked, .expired])
        #expect(listed[1].revokedBy == "admin admin")
    }

    @Test func recordingASerialTwiceKeepsTheFirstRecord() async throws {
        try await add("0a", "alice", .operator)
        try await add("0a", "mallory", .admin)
        let record = try #require(try await store.operatorCredential(serial: "0a"))
        #expect(record.name == "alice")
        #expect(record.role == .operator)
        // The second record changed nothing, so it recorded nothing.
        #expect(try await auditActions() == ["audit.chain_started", "operator.create"])
    }

    @Test func revokingANameRevokesEveryCertificateIssuedUnderIt() async throws {
        try await add("0a", "admin", .admin)
        try await add("01", "otto", .operator)
        try await add("02", "otto", .operator, renewalOf: "01")
        try await add("03", "vera", .viewer)
        let revoked = try await revoke(name: "otto", serial: nil, by: "admin admin", now: now)
        #expect(Set(revoked.map(\.serial)) == ["01", "02"])
        #expect(try await store.operatorCredential(serial: "03")?.revokedAt == nil)
        // Again: nothing left to revoke, and the first revocation's time is kept.
        #expect(try await revoke(name: "otto", serial: nil, by: "admin admin", now: now.addingTimeInterval(5)).isEmpty)
        let revokedAt = try #require(try await store.operatorCredential(serial: "01")?.revokedAt)
        #expect(abs(revokedAt.timeIntervalSince(now)) < 0.01)
        // One entry, for the revocation that changed something, naming the credentials.
        let entries = try await store.auditEntries(AuditQuery(action: "operator.revoke"))
        #expect(entries.count == 1)
        let entry = try #require(entries.first?.entry)
        #expect(entry.target.operator == "otto")
        #expect(entry.details?["serials"]?.split(separator: ",").sorted() == ["01", "02"])
        #expect(entry.actor == "admin")
        #expect(entry.result == "2 credential(s) revoked")
    }

    @Test func revokingASerialRevokesOnlyThatCertificate() async throws {
        try await add("01", "otto", .operator)
        try await add("02", "otto", .operator, renewalOf: "01")
        let revoked = try await revoke(name: nil, serial: "01", by: "admin admin", now: now)
        #expect(revoked.map(\.serial) == ["01"])
        #expect(try await store.operatorCredential(serial: "02")?.revokedAt == nil)
    }

    @Test func aRenewalOfACredentialRevokedMeanwhileIsRefusedAndRecordsNothing() async throws {
        try await add("a1", "admin", .admin)
        try await add("r1", "rita", .operator)
        _ = try await revoke(name: "rita", serial: nil, by: "admin admin", now: now)
        let before = try await auditActions()
        await #expect(throws: ShoalError.self) { try await self.add("r2", "rita", .operator, renewalOf: "r1") }
        #expect(try await store.operatorCredential(serial: "r2") == nil)
        #expect(try await auditActions() == before)
    }

    @Test func anUnknownNameOrSerialIsNotFound() async throws {
        try await add("01", "otto", .operator)
        #expect(await errorCode { _ = try await revoke(name: "nobody", serial: nil, by: "a", now: now) } == .notFound)
        #expect(await errorCode { _ = try await revoke(name: nil, serial: "ff", by: "a", now: now) } == .notFound)
        #expect(await errorCode { _ = try await revoke(name: nil, serial: nil, by: "a", now: now) } == .invalidArgument)
    }

    @Test func theLastActiveAdminCannotBeRevoked() async throws {
        try await add("0a", "admin", .admin)
        try await add("0b", "old-admin", .admin, expiresIn: -1)
        try await add("0c", "otto", .operator)
        // An expired admin does not count as one left.
        #expect(await errorCode { _ = try await revoke(name: "admin", serial: nil, by: "admin admin", now: now) } == .conflict)
        #expect(try await store.operatorCredential(serial: "0a")?.revokedAt == nil)
        #expect(try await store.auditEntries(AuditQuery(action: "operator.revoke")).isEmpty)
        // Other roles are revoked as usual; so is an admin once another one is active.
        #expect(try await revoke(name: "otto", serial: nil, by: "admin admin", now: now).count == 1)
        try await add("0d", "ada", .admin)
        #expect(try await revoke(name: "admin", serial: nil, by: "admin ada", now: now).count == 1)
        #expect(await errorCode { _ = try await revoke(name: nil, serial: "0d", by: "admin ada", now: now) } == .conflict)
        // An expired admin credential can always be revoked.
        #expect(try await revoke(name: "old-admin", serial: nil, by: "admin ada", now: now).count == 1)
    }
}
