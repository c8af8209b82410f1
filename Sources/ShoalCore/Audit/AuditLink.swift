import Foundation

/// One link of the audit chain: an entry, its place, and the hash of the link before it.
///
/// The hash of a link is the lower-case hex SHA-256 of its canonical text: this struct
/// (`entry`, `previousHash`, `seq`) encoded by `WireCoding` — sorted keys, no whitespace,
/// RFC 3339 UTC dates with milliseconds, `/` not escaped, absent optionals left out. That text
/// is stored as it was hashed, and verification hashes the stored text, never a re-encoding:
/// a newer coordinator that adds fields changes no old entry's hash, and anyone can check a
/// link with `sha256sum`. The first link's `previousHash` is 64 zeros.
///
/// Chaining lives here, above the store: a backend only reads the current head and inserts
/// the sealed link in the transaction of the change, under its write lock.
public struct AuditLink: Codable, Sendable, Equatable {
    /// The link's position: 1 for the first, one more than the previous for each after.
    public var seq: Int64
    /// The hash of the link before this one, or `genesisHash` for the first.
    public var previousHash: String
    public var entry: AuditEntry

    public static let genesisHash = String(repeating: "0", count: 64)

    public init(seq: Int64, previousHash: String, entry: AuditEntry) {
        self.seq = seq
        self.previousHash = previousHash
        self.entry = entry
    }

    /// The link that follows `head`, or the first when the chain is empty.
    public init(after head: AuditHead?, entry: AuditEntry) {
        self.init(seq: (head?.seq ?? 0) + 1, previousHash: head?.hash ?? Self.genesisHash, entry: entry)
    }

    /// The exact text that is hashed and stored.
    public func canonicalText() throws -> String {
        String(decoding: try WireCoding.encode(self), as: UTF8.self)
    }

    /// The canonical text and its hash, ready to store.
    public func sealed() throws -> (canonical: String, hash: String) {
        let text = try canonicalText()
        return (text, Self.hash(ofCanonical: text))
    }

    public static func hash(ofCanonical text: String) -> String {
        Data(text.utf8).sha256Hex
    }
}
