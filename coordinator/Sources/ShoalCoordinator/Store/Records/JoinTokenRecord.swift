import Foundation
import ShoalCore

/// A row of `join_tokens`. Only the SHA-256 of the token is stored.
public struct JoinTokenRecord: Codable, Sendable {
    public var id: String
    public var tokenHash: String
    public var createdAt: Date
    public var expiresAt: Date
    public var usesAllowed: Int
    public var usesCount: Int
    public var labelsJSON: String
    public var createdBy: String

    public var labels: [String: String] {
        (try? WireCoding.decode([String: String].self, from: Data(labelsJSON.utf8))) ?? [:]
    }
}

extension JoinTokenRecord {
    /// Throws the error an enrollment with this token gets when it is expired or used up.
    /// (Enrollment checks this before signing anything; the store checks again, atomically.)
    public func checkUsable(now: Date) throws {
        guard expiresAt > now else {
            throw ShoalError(.tokenExpired, "the join token expired at \(Timestamp.format(expiresAt)); mint a new one with 'coordinator token create'")
        }
        guard usesCount < usesAllowed else { throw usedUpError }
    }

    /// What an enrollment gets once every use is taken, whether this read or the store's
    /// guarded use count found it.
    var usedUpError: ShoalError {
        ShoalError(.tokenUsedUp, "the join token has been used \(usesAllowed) time(s) already, its limit; mint a new one")
    }

    static let unknownTokenError = ShoalError(.tokenInvalid, "the join token is not known to this coordinator; mint one with 'coordinator token create'")
}
