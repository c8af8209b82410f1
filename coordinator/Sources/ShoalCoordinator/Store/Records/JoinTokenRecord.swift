import Foundation
import GRDB
import ShoalCore

/// A row of `join_tokens`. Only the SHA-256 of the token is stored.
public struct JoinTokenRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "join_tokens"

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
