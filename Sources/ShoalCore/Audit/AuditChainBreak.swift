/// The first place where the audit chain is not what was written.
public struct AuditChainBreak: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// An entry's content no longer matches its hash, or its row disagrees with it.
        case edited
        /// Entries are missing: a gap in the sequence.
        case deleted
        /// An entry no longer follows the one before it: one was rewritten with a new hash,
        /// or entries were deleted or inserted and the rest renumbered.
        case insertedOrDeleted = "inserted_or_deleted"
        /// The pre-chain `audit_log` rows differ from the digest the chain recorded.
        case legacyChanged = "legacy_changed"
        /// The anchored head (`--expect-head`) is not on the chain.
        case anchorMissing = "anchor_missing"
        /// No entries at all, though every fleet's chain starts with one.
        case empty
    }

    /// The entry where the chain breaks, when one can be named.
    public var seq: Int64?
    public var kind: Kind
    public var message: String

    public init(seq: Int64?, kind: Kind, message: String) {
        self.seq = seq
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

extension ShoalError.Code {
    /// `coordinator audit verify`: the chain is broken or the anchored head is not on it.
    public static let auditChainBroken: Self = "audit.chain_broken"
}
