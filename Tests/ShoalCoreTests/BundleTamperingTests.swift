import Foundation
import ShoalCore
import ShoalTestSupport
import Testing

/// Property: a signed bundle changed anywhere never verifies. Whatever the change breaks
/// first (the JSON, the base64, a signature), the answer is a refusal — for the coordinator's
/// delivery layer, for the operator's task inside it (even re-wrapped by the coordinator),
/// and for the root-signed trust document that says whose signatures count.
@Suite("Bundle tampering")
struct BundleTamperingTests {
    static let now = Date(timeIntervalSince1970: 1_750_000_000)
    let trust: TrustFixture
    let statement: DSSEEnvelope
    let file = BundleFile(data: Data("port=8080\n".utf8))

    init() throws {
        trust = try TrustFixture(now: Self.now)
        let steps = [
            try StepSpec(kind: "command", name: "hello", encoding: CommandStepParams(argv: ["/bin/echo", "hi"])),
            StepSpec(kind: "file", name: "config", params: .object(["path": .string("/etc/app.conf"), "sourceSHA256": .string(file.sha256)]), when: "env=prod"),
        ]
        statement = try trust.statement(steps: steps, taskID: "t-1", files: [file], now: Self.now)
    }

    func delivery(_ statement: DSSEEnvelope? = nil) throws -> DSSEEnvelope {
        try trust.delivery(statement ?? self.statement, files: [file], now: Self.now)
    }

    /// True only when the bytes decode as an envelope and it passes every check of both layers.
    func verifies(_ serialized: Data) -> Bool {
        guard let envelope = try? WireCoding.decode(DSSEEnvelope.self, from: serialized) else { return false }
        return verifies(envelope)
    }

    func verifies(_ envelope: DSSEEnvelope) -> Bool {
        let verifier = BundleVerifier(nodeID: "node-1", trust: trust.document, labels: ["env": "prod"], facts: nil)
        return (try? verifier.verify(envelope, highWaterMark: 0, started: { _ in false }, now: Self.now)) != nil
    }

    /// Every way of flipping one bit of `bytes`, as (what was changed, the changed bytes).
    static func singleBitFlips(of bytes: Data, named name: String) -> [(String, Data)] {
        bytes.indices.flatMap { position in
            (0..<8).map { bit in
                var changed = bytes
                changed[position] ^= 1 << bit
                return ("\(name) byte \(position) bit \(bit)", changed)
            }
        }
    }

    @Test("changing any one byte of a serialized signed bundle never verifies")
    func anySingleByteChange() throws {
        let original = try WireCoding.encode(delivery())
        #expect(verifies(original), "the untouched bundle must verify, or this test proves nothing")
        // Low bits reach the unused bits of a base64 character, 0x20 flips letter case, 0x80
        // makes invalid UTF-8.
        let masks: [UInt8] = [0x01, 0x02, 0x04, 0x08, 0x20, 0x80]
        var verified: [String] = []
        for position in original.indices {
            for mask in masks {
                var changed = original
                changed[position] ^= mask
                if verifies(changed) { verified.append("byte \(position) ^ 0x\(String(mask, radix: 16))") }
            }
        }
        #expect(verified.isEmpty, "these changed bundles still verified: \(verified.prefix(20))")
    }

    @Test("flipping any one bit of the delivery's decoded payload or signature never verifies")
    func anyBitOfTheDelivery() throws {
        let signed = try delivery()
        let payload = try #require(Data(base64Encoded: signed.payload))
        let signature = try #require(Data(base64Encoded: signed.signatures[0].sig))
        var verified: [String] = []
        for (what, changed) in Self.singleBitFlips(of: payload, named: "payload") {
            var tampered = signed
            tampered.payload = changed.base64EncodedString()
            if verifies(tampered) { verified.append(what) }
        }
        for (what, changed) in Self.singleBitFlips(of: signature, named: "signature") {
            var tampered = signed
            tampered.signatures[0].sig = changed.base64EncodedString()
            if verifies(tampered) { verified.append(what) }
        }
        #expect(verified.isEmpty, "these changed bundles still verified: \(verified.prefix(20))")
    }

    @Test("a coordinator that changes one bit of the operator's task and signs the delivery anew is refused")
    func anyBitOfTheTaskRewrapped() throws {
        #expect(verifies(try delivery()))
        let payload = try #require(Data(base64Encoded: statement.payload))
        let signature = try #require(Data(base64Encoded: statement.signatures[0].sig))
        var verified: [String] = []
        // Every byte of the task, one bit each (which bit turns with the position), and every bit of its signature.
        for position in payload.indices {
            var changed = payload
            changed[position] ^= 1 << (position % 8)
            var tampered = statement
            tampered.payload = changed.base64EncodedString()
            if verifies(try delivery(tampered)) { verified.append("task byte \(position) bit \(position % 8)") }
        }
        for (what, changed) in Self.singleBitFlips(of: signature, named: "task signature") {
            var tampered = statement
            tampered.signatures[0].sig = changed.base64EncodedString()
            if verifies(try delivery(tampered)) { verified.append(what) }
        }
        #expect(verified.isEmpty, "these re-wrapped tasks still verified: \(verified.prefix(20))")
    }

    @Test("changing any one byte of a root-signed trust document never lets a node accept it")
    func anySingleByteOfATrustDocument() throws {
        let operatorKey = BundleSigningKey()
        let next = try trust.document.next(now: Self.now) { $0.operators.append(.init(name: "ci", key: operatorKey.publicKey, scope: .unrestricted)) }
        let original = try WireCoding.encode(next.signed(by: [trust.root]))
        func accepted(_ bytes: Data) -> Bool {
            guard let envelope = try? WireCoding.decode(DSSEEnvelope.self, from: bytes) else { return false }
            return (try? TrustDocument.accept(envelope, after: trust.document, fleet: trust.fleet, now: Self.now)) != nil
        }
        #expect(accepted(original), "the untouched document must be accepted, or this test proves nothing")
        var verified: [String] = []
        for position in original.indices {
            for mask: UInt8 in [0x01, 0x02, 0x04, 0x08, 0x20, 0x80] {
                var changed = original
                changed[position] ^= mask
                if accepted(changed) { verified.append("byte \(position) ^ 0x\(String(mask, radix: 16))") }
            }
        }
        #expect(verified.isEmpty, "these changed trust documents were still accepted: \(verified.prefix(20))")
    }

    @Test("base64 with the unused bits of its last character set is refused, payload and signature alike")
    func nonCanonicalBase64() throws {
        #expect(Data(canonicalBase64: "QQ==") == Data("A".utf8))
        #expect(Data(canonicalBase64: "QR==") == nil)
        #expect(Data(canonicalBase64: "QQ==\n") == nil)
        #expect(Data(canonicalBase64: "QQ") == nil)

        let signed = try delivery()
        var signature = signed
        signature.signatures[0].sig = Self.settingUnusedBits(signed.signatures[0].sig)
        #expect(signature.signatures[0].sig != signed.signatures[0].sig)
        #expect(Data(base64Encoded: signature.signatures[0].sig) == Data(base64Encoded: signed.signatures[0].sig))
        #expect(!verifies(signature))

        var payloadBytes = try signed.payloadBytes()
        // Make the payload length not a multiple of 3 so its base64 has unused bits to set.
        while payloadBytes.count % 3 == 0 { payloadBytes.append(0x20) }
        var padded = try trust.delivery.sign(payload: payloadBytes, payloadType: signed.payloadType)
        #expect(throws: Never.self) { try padded.payloadBytes() }
        padded.payload = Self.settingUnusedBits(padded.payload)
        #expect {
            try padded.payloadBytes()
        } throws: { error in
            (error as? ShoalError)?.code == .bundleMalformed
        }
    }

    /// The same base64 text with the lowest bit of the last data character set: Foundation
    /// decodes it to the same bytes, because that bit is one of the unused ones.
    static func settingUnusedBits(_ text: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var characters = Array(text)
        guard let last = characters.lastIndex(where: { $0 != "=" }), let index = alphabet.firstIndex(of: characters[last]) else { return text }
        characters[last] = alphabet[index | 1]
        return String(characters)
    }
}
