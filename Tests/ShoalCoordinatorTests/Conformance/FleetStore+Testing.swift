import Foundation
import ShoalCore

@testable import ShoalCoordinator

/// What the store suites set up again and again: a join token, and nodes enrolled with it.
extension FleetStore {
    /// A token `secret`, good for `uses` enrollments in the next ten minutes.
    func addTestToken(_ secret: String = "t", uses: Int, labelsJSON: String = "{}") async throws {
        try await insertToken(JoinTokenRecord(
            id: "tok-" + secret, tokenHash: RandomID.hash(secret), createdAt: Date(), expiresAt: Date().addingTimeInterval(600),
            usesAllowed: uses, usesCount: 0, labelsJSON: labelsJSON, createdBy: "test"
        ), audit: .test("token.create"))
    }

    /// Enrolls node `id` (serial "01", its hostname its id) with token `secret` at `at`;
    /// `change` adjusts the record first.
    func enrollTestNode(_ id: String, secret: String = "t", at: Date = Date(), _ change: @escaping @Sendable (inout NodeRecord) -> Void = { _ in }) async throws {
        _ = try await enroll(tokenHash: RandomID.hash(secret), now: at) { token in
            var node = JoinTokenStoreTests.node(id, token)
            node.enrolledAt = at
            change(&node)
            return node
        }
    }
}

/// The code a store call is refused with; nil when it succeeds.
func errorCode(of body: () async throws -> Void) async -> ShoalError.Code? {
    do {
        try await body()
        return nil
    } catch let error as ShoalError {
        return error.code
    } catch {
        return .internalError
    }
}
