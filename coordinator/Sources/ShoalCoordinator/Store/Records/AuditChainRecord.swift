import Foundation
import ShoalCore

/// A row of `audit_chain`: one sealed `AuditLink`. `link` is the canonical text that was
/// hashed, kept byte for byte; `at` (RFC 3339 text, so it sorts), `actor` and `action` are
/// copies for queries, which `audit verify` checks against the hashed text.
struct AuditChainRecord: Codable, Sendable {
    var seq: Int64
    var at: String
    var actor: String
    var action: String
    var link: String
    var hash: String

    init(seq: Int64, at: String, actor: String, action: String, link: String, hash: String) {
        self.seq = seq
        self.at = at
        self.actor = actor
        self.action = action
        self.link = link
        self.hash = hash
    }

    /// The row for `link`, sealed.
    init(_ link: AuditLink) throws {
        let sealed = try link.sealed()
        self.init(
            seq: link.seq, at: Timestamp.format(link.entry.at), actor: link.entry.actor, action: link.entry.action,
            link: sealed.canonical, hash: sealed.hash
        )
    }

    /// As served: the stored text decoded here for reading, verified by the client.
    var view: AuditLogEntry {
        let decoded = try? WireCoding.decode(AuditLink.self, from: Data(link.utf8))
        return AuditLogEntry(
            seq: seq, hash: hash, at: Timestamp.parse(at) ?? .distantPast, actor: actor, action: action, canonical: link, entry: decoded?.entry
        )
    }
}
