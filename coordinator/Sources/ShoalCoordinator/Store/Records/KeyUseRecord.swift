import Foundation
import ShoalCore

/// A row of `key_use`: how often the coordinator used one of its keys for one purpose.
struct KeyUseRecord: Codable, Sendable {
    var keyID: String
    var use: String
    var count: Int64
    var firstUsedAt: Date
    var lastUsedAt: Date

    var view: KeyUseView { KeyUseView(keyID: keyID, use: use, count: count, firstAt: firstUsedAt, lastAt: lastUsedAt) }
}
