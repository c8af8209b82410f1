/// What the coordinator used one of its keys for. New uses are new constants here.
public struct KeyUse: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// A bundle signed for one node (`RolloutEngine`, when a delivery is queued).
    public static let deliverySigned = KeyUse(rawValue: "delivery.signed")
    /// A trust document sent to a node or an operator.
    public static let trustServed = KeyUse(rawValue: "trust.served")

    public var description: String { rawValue }
}
