import Foundation

/// Walks the audit chain in `seq` order, one stored entry at a time, and names the first
/// broken link. It trusts nothing the store decoded: each entry's canonical text is hashed
/// and decoded here.
///
/// What it finds: an entry edited in place (its text no longer hashes to its hash, or its
/// query columns disagree with the text); an entry deleted (a gap in `seq`); an entry
/// rewritten together with its hash, or entries deleted or inserted and the rest renumbered
/// (the next entry's `previousHash` no longer matches); a changed pre-chain row (digest in
/// entry 1). What it cannot find alone: the chain rewritten consistently from an edit to the
/// end, or entries cut off the end — for those, anchor the head (`expectedHead`).
public struct AuditChainVerifier: Sendable {
    /// `SEQ:HASH` or `HASH` of a head copied off the coordinator earlier.
    public struct Anchor: Sendable, Equatable {
        public var seq: Int64?
        public var hash: String

        /// Reads `SEQ:HASH`, `HASH`, or either with a `sha256:` prefix on the hash.
        public init(parsing text: String) throws {
            var rest = Substring(text.trimmingCharacters(in: .whitespaces).lowercased())
            if let colon = rest.firstIndex(of: ":"), let seq = Int64(rest[..<colon]) {
                self.seq = seq
                rest = rest[rest.index(after: colon)...]
            }
            if rest.hasPrefix("sha256:") { rest = rest.dropFirst("sha256:".count) }
            guard rest.count == 64, rest.allSatisfy(\.isHexDigit) else {
                throw ShoalError(.invalidArgument, "--expect-head takes SEQ:HASH or HASH (64 hex digits), as 'audit verify' printed it; got '\(text)'")
            }
            hash = String(rest)
        }
    }

    public private(set) var checked = 0
    public private(set) var head: AuditHead?
    private var first: AuditEntry?
    private let anchor: Anchor?
    private var anchorSeen = false

    public init(anchor: Anchor? = nil) {
        self.anchor = anchor
    }

    /// Checks the next stored entry; returns the break if the chain breaks here.
    public mutating func check(_ stored: AuditLogEntry) -> AuditChainBreak? {
        let seq = stored.seq
        let expected = (head?.seq ?? 0) + 1
        if seq > expected {
            let missing = seq == expected + 1 ? "entry \(expected) is" : "entries \(expected)–\(seq - 1) are"
            return AuditChainBreak(seq: expected, kind: .deleted, message: "\(missing) missing: deleted from the audit chain (the next entry present is \(seq))")
        }
        if seq < expected {
            return AuditChainBreak(seq: seq, kind: .insertedOrDeleted, message: "entry \(seq) appears after entry \(expected - 1): inserted out of order")
        }
        guard AuditLink.hash(ofCanonical: stored.canonical) == stored.hash else {
            return AuditChainBreak(seq: seq, kind: .edited, message: "entry \(seq) was edited: its content no longer hashes to the hash stored with it")
        }
        let link: AuditLink
        do {
            link = try WireCoding.decode(AuditLink.self, from: Data(stored.canonical.utf8))
        } catch {
            return AuditChainBreak(seq: seq, kind: .edited, message: "entry \(seq) was edited: its stored text is not an audit entry (\(error))")
        }
        guard link.seq == seq else {
            return AuditChainBreak(seq: seq, kind: .insertedOrDeleted, message: "entry \(seq) was moved: its hashed content says it is entry \(link.seq)")
        }
        let previousHash = head?.hash ?? AuditLink.genesisHash
        guard link.previousHash == previousHash else {
            let before = seq == 1 ? "the start of the chain" : "entry \(seq - 1), which now hashes to \(previousHash.prefix(12))…"
            return AuditChainBreak(
                seq: seq, kind: .insertedOrDeleted,
                message: "entry \(seq) no longer follows \(before): it records the previous hash \(link.previousHash.prefix(12))… — the entry before it was rewritten, or entries were deleted or inserted and renumbered"
            )
        }
        let entry = link.entry
        var differing: [String] = []
        if Timestamp.format(entry.at) != Timestamp.format(stored.at) { differing.append("at") }
        if entry.actor != stored.actor { differing.append("actor") }
        if entry.action != stored.action { differing.append("action") }
        guard differing.isEmpty else {
            return AuditChainBreak(
                seq: seq, kind: .edited,
                message: "entry \(seq) was edited: its \(differing.joined(separator: ", ")) column(s) differ from the hashed entry, so lists filtered by them are wrong"
            )
        }
        if let anchor, anchor.seq == seq || anchor.seq == nil, stored.hash == anchor.hash {
            anchorSeen = true
        } else if let anchor, anchor.seq == seq {
            return AuditChainBreak(
                seq: seq, kind: .anchorMissing,
                message: "entry \(seq) is not the anchored one (anchored \(anchor.hash.prefix(12))…, now \(stored.hash.prefix(12))…): the chain was rewritten at or before entry \(seq)"
            )
        }
        if first == nil { first = entry }
        head = AuditHead(seq: seq, hash: stored.hash)
        checked += 1
        return nil
    }

    /// After the last entry: the chain is not empty, the anchor was on it, and the pre-chain
    /// rows still match the digest the first entry recorded.
    public func finish(legacyRows: [LegacyAuditRow]) -> AuditChainBreak? {
        guard let head else {
            return AuditChainBreak(seq: nil, kind: .empty, message: "the audit chain is empty, yet every fleet's chain starts with an audit.chain_started entry: it was deleted")
        }
        if let anchor, !anchorSeen {
            if let seq = anchor.seq, seq > head.seq {
                return AuditChainBreak(
                    seq: head.seq + 1, kind: .anchorMissing,
                    message: "the chain ends at entry \(head.seq), before the anchored entry \(seq): entries were deleted from its end"
                )
            }
            return AuditChainBreak(
                seq: nil, kind: .anchorMissing,
                message: "the anchored hash \(anchor.hash.prefix(12))… is not on the chain: it was rewritten at or before the anchored entry, entries were cut off its end, or the anchor is from another fleet"
            )
        }
        if let details = first?.details, let recorded = details[LegacyAuditRow.digestDetail] {
            let digest = (try? LegacyAuditRow.digest(legacyRows)) ?? ""
            if digest != recorded {
                return AuditChainBreak(
                    seq: 1, kind: .legacyChanged,
                    message: "the free-text audit_log rows from before the chain changed since entry 1 recorded them (\(details[LegacyAuditRow.countDetail] ?? "?") row(s) then, \(legacyRows.count) now)"
                )
            }
        }
        return nil
    }
}
