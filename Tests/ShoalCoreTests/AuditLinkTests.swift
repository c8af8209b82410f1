import Foundation
import ShoalCore
import Testing

/// The bytes an audit link's hash covers, pinned: docs/security.md documents them, so an
/// independent tool (`sha256sum`, a script) can check the chain.
@Suite("Audit links")
struct AuditLinkTests {
    let entry = AuditEntry(
        at: Date(timeIntervalSince1970: 1_700_000_000.125), actor: "alice", role: "operator", action: "task.create",
        target: AuditTarget(nodes: ["n-1"], task: "t-1"), selector: "env=prod", taskHash: String(repeating: "f", count: 64),
        result: "1 node(s) targeted", details: ["name": "uptime/check"]
    )

    @Test func theCanonicalTextIsSortedCompactJSONWithoutAbsentFields() throws {
        let link = AuditLink(after: nil, entry: entry)
        #expect(link.seq == 1)
        #expect(link.previousHash == AuditLink.genesisHash)
        let text = try link.canonicalText()
        #expect(text == #"{"entry":{"action":"task.create","actor":"alice","at":"2023-11-14T22:13:20.125Z","details":{"name":"uptime/check"},"result":"1 node(s) targeted","role":"operator","selector":"env=prod","target":{"nodes":["n-1"],"task":"t-1"},"taskHash":"\#(String(repeating: "f", count: 64))"},"previousHash":"\#(AuditLink.genesisHash)","seq":1}"#)
        let sealed = try link.sealed()
        #expect(sealed.canonical == text)
        #expect(sealed.hash == Data(text.utf8).sha256Hex)
    }

    @Test func eachLinkNamesTheHashOfTheOneBefore() throws {
        let first = try AuditLink(after: nil, entry: entry).sealed()
        let second = AuditLink(after: AuditHead(seq: 1, hash: first.hash), entry: entry)
        #expect(second.seq == 2)
        #expect(second.previousHash == first.hash)
        #expect(try second.sealed().hash != first.hash)
    }
}
