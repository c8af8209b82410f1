import Foundation
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// Operator credentials at the store, on a real SQLite file: status, revocation by name and
/// by serial, and the last active admin that cannot be revoked.
@Suite final class OperatorCredentialStoreTests {
    let directory = NSTemporaryDirectory() + "shoal-operators-" + RandomID.make(bytes: 6)
    let store: SQLiteFleetStore
    let now = Date()

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try SQLiteFleetStore(path: directory + "/fleet.db")
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    @discardableResult
    func add(_ serial: String, _ name: String, _ role: PeerIdentity.Role, expiresIn: TimeInterval = 86400, renewalOf: String? = nil) async throws -> OperatorCredentialRecord {
        let record = OperatorCredentialRecord(
            serial: serial, name: name, role: role, issuedAt: now.addingTimeInterval(-60), expiresAt: now.addingTimeInterval(expiresIn),
            issuedBy: "admin admin", renewalOf: renewalOf
        )
        try await store.recordOperatorCredential(record)
        return record
    }

    func code(of body: () async throws -> Void) async -> ShoalError.Code? {
        do {
            try await body()
            return nil
        } catch let error as ShoalError {
            return error.code
        } catch {
            return .internalError
        }
    }

    @Test func listsEveryCredentialWithItsStatus() async throws {
        try await add("0a", "admin", .admin)
        try await add("0b", "vera", .viewer, expiresIn: -1)
        try await add("0c", "otto", .operator)
        _ = try await store.revokeOperatorCredentials(name: "otto", serial: nil, by: "admin admin", now: now)
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
    }

    @Test func revokingANameRevokesEveryCertificateIssuedUnderIt() async throws {
        try await add("0a", "admin", .admin)
        try await add("01", "otto", .operator)
        try await add("02", "otto", .operator, renewalOf: "01")
        try await add("03", "vera", .viewer)
        let revoked = try await store.revokeOperatorCredentials(name: "otto", serial: nil, by: "admin admin", now: now)
        #expect(Set(revoked.map(\.serial)) == ["01", "02"])
        #expect(try await store.operatorCredential(serial: "03")?.revokedAt == nil)
        // Again: nothing left to revoke, and the first revocation's time is kept.
        #expect(try await store.revokeOperatorCredentials(name: "otto", serial: nil, by: "admin admin", now: now.addingTimeInterval(5)).isEmpty)
        let revokedAt = try #require(try await store.operatorCredential(serial: "01")?.revokedAt)
        #expect(abs(revokedAt.timeIntervalSince(now)) < 0.01)
    }

    @Test func revokingASerialRevokesOnlyThatCertificate() async throws {
        try await add("01", "otto", .operator)
        try await add("02", "otto", .operator, renewalOf: "01")
        let revoked = try await store.revokeOperatorCredentials(name: nil, serial: "01", by: "admin admin", now: now)
        #expect(revoked.map(\.serial) == ["01"])
        #expect(try await store.operatorCredential(serial: "02")?.revokedAt == nil)
    }

    @Test func anUnknownNameOrSerialIsNotFound() async throws {
        try await add("01", "otto", .operator)
        #expect(await code { _ = try await store.revokeOperatorCredentials(name: "nobody", serial: nil, by: "a", now: now) } == .notFound)
        #expect(await code { _ = try await store.revokeOperatorCredentials(name: nil, serial: "ff", by: "a", now: now) } == .notFound)
        #expect(await code { _ = try await store.revokeOperatorCredentials(name: nil, serial: nil, by: "a", now: now) } == .invalidArgument)
    }

    @Test func theLastActiveAdminCannotBeRevoked() async throws {
        try await add("0a", "admin", .admin)
        try await add("0b", "old-admin", .admin, expiresIn: -1)
        try await add("0c", "otto", .operator)
        // An expired admin does not count as one left.
        #expect(await code { _ = try await store.revokeOperatorCredentials(name: "admin", serial: nil, by: "admin admin", now: now) } == .conflict)
        #expect(try await store.operatorCredential(serial: "0a")?.revokedAt == nil)
        // Other roles are revoked as usual; so is an admin once another one is active.
        #expect(try await store.revokeOperatorCredentials(name: "otto", serial: nil, by: "admin admin", now: now).count == 1)
        try await add("0d", "ada", .admin)
        #expect(try await store.revokeOperatorCredentials(name: "admin", serial: nil, by: "admin ada", now: now).count == 1)
        #expect(await code { _ = try await store.revokeOperatorCredentials(name: nil, serial: "0d", by: "admin ada", now: now) } == .conflict)
        // An expired admin credential can always be revoked.
        #expect(try await store.revokeOperatorCredentials(name: "old-admin", serial: nil, by: "admin ada", now: now).count == 1)
    }
}
