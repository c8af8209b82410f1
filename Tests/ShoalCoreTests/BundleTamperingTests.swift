import Foundation
import ShoalCore
import Testing

/// Property: a signed bundle changed anywhere, by any amount, never verifies. Whatever the
/// change breaks first (the JSON, the base64, the signature), the answer is a refusal.
@Suite("Bundle tampering")
struct BundleTamperingTests {
    static let now = Date(timeIntervalSince1970: 1_750_000_000)
    let key = BundleSigningKey()
    var verifier: BundleVerifier { BundleVerifier(nodeID: "n-1", trustedKeys: [key.publicKey]) }

    func envelope() throws -> DSSEEnvelope {
        let file = BundleFile(data: Data("port=8080\n".utf8))
        let payload = BundlePayload(
            bundleID: "b-1", taskID: "t-1", nodeID: "n-1", sequence: 7,
            issuedAt: Self.now.addingTimeInterval(-10), expiresAt: Self.now.addingTimeInterval(3600), timeoutSeconds: 600,
            steps: [
                try StepSpec(kind: "command", name: "hello", encoding: CommandStepParams(argv: ["/bin/echo", "hi"])),
                StepSpec(kind: "file", name: "config", params: .object(["path": .string("/etc/app.conf"), "sourceSHA256": .string(file.sha256)]), when: "role=web"),
            ],
            files: [file], vars: ["port": .number(8080)], labels: ["role": "web"]
        )
        return try payload.signed(with: key)
    }

    /// True only when the bytes decode as an envelope and that envelope passes every check.
    func verifies(_ serialized: Data) -> Bool {
        guard let envelope = try? WireCoding.decode(DSSEEnvelope.self, from: serialized) else { return false }
        return (try? verifier.verify(envelope, highWaterMark: 0, now: Self.now)) != nil
    }

    @Test("changing any one byte of a serialized signed envelope never verifies")
    func anySingleByteChange() throws {
        let original = try WireCoding.encode(envelope())
        #expect(verifies(original), "the untouched envelope must verify, or this test proves nothing")
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
        #expect(verified.isEmpty, "these changed envelopes still verified: \(verified.prefix(20))")
    }

    @Test("flipping any one bit of the decoded payload or signature, then re-encoding, never verifies")
    func anySingleBitFlip() throws {
        let signed = try envelope()
        let payload = try #require(Data(base64Encoded: signed.payload))
        let signature = try #require(Data(base64Encoded: signed.signatures[0].sig))
        var verified: [String] = []
        for position in payload.indices {
            for bit in 0..<8 {
                var changed = payload
                changed[position] ^= 1 << bit
                var tampered = signed
                tampered.payload = changed.base64EncodedString()
                if verifies(try WireCoding.encode(tampered)) { verified.append("payload byte \(position) bit \(bit)") }
            }
        }
        for position in signature.indices {
            for bit in 0..<8 {
                var changed = signature
                changed[position] ^= 1 << bit
                var tampered = signed
                tampered.signatures[0].sig = changed.base64EncodedString()
                if verifies(try WireCoding.encode(tampered)) { verified.append("signature byte \(position) bit \(bit)") }
            }
        }
        #expect(verified.isEmpty, "these changed envelopes still verified: \(verified.prefix(20))")
    }

    @Test("base64 with the unused bits of its last character set is refused, payload and signature alike")
    func nonCanonicalBase64() throws {
        let signed = try envelope()
        // Text whose length is not a multiple of 3 bytes ends in a character with unused bits.
        #expect(Data(canonicalBase64: "QQ==") == Data("A".utf8))
        #expect(Data(canonicalBase64: "QR==") == nil)
        #expect(Data(canonicalBase64: "QQ==\n") == nil)
        #expect(Data(canonicalBase64: "QQ") == nil)

        var signature = signed
        signature.signatures[0].sig = Self.settingUnusedBits(signed.signatures[0].sig)
        #expect(signature.signatures[0].sig != signed.signatures[0].sig)
        #expect(Data(base64Encoded: signature.signatures[0].sig) == Data(base64Encoded: signed.signatures[0].sig))
        #expect(throws: ShoalError.self) { try verifier.verify(signature, highWaterMark: 0, now: Self.now) }

        var payloadBytes = try signed.payloadBytes()
        // Make the payload length not a multiple of 3 so its base64 has unused bits to set.
        while payloadBytes.count % 3 == 0 { payloadBytes.append(0x20) }
        var padded = try key.sign(payload: payloadBytes, payloadType: signed.payloadType)
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
