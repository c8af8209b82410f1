import Foundation

/// Uses of one key for one purpose since the last flush, to be added to `key_use`.
public struct KeyUseCount: Sendable, Equatable {
    public var keyID: String
    public var use: KeyUse
    public var count: Int64
    public var firstAt: Date
    public var lastAt: Date

    public init(keyID: String, use: KeyUse, count: Int64, firstAt: Date, lastAt: Date) {
        self.keyID = keyID
        self.use = use
        self.count = count
        self.firstAt = firstAt
        self.lastAt = lastAt
    }
}
