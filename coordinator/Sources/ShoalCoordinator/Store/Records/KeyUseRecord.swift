import Foundation
import GRDB
import ShoalCore

/// A row of `key_use`: how often the coordinator used one of its keys for one purpose.
struct KeyUseRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "key_use"

    var keyID: String
    var use: String
    var count: Int64
    var firstUsedAt: Date
    var lastUsedAt: Date

    var view: KeyUseView { KeyUseView(keyID: keyID, use: use, count: count, firstAt: firstUsedAt, lastAt: lastUsedAt) }
}
