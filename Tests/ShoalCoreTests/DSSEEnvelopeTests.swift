import Crypto
import Foundation
import ShoalCore
import Testing

@Suite("DSSE envelope")
struct DSSEEnvelopeTests {
    @Test("PAE matches the DSSE spec's own example byte for byte")
    func paeSpecExample() {
        let pae = DSSEEnvelope.preAuthenticationEncoding(
            payloadType: "http://example.com/HelloWorld", payload: Data("hello world".utf8)
        )
        #expect(pae == Data("DSSEv1 29 http://example.com/HelloWorld 11 hello world".utf8))
    }

    @Test("PAE lengths count UTF-8 bytes, not characters")
    func paeCountsBytes() {
        // "héllo ✓" is 7 characters but 1+2+1+1+1+1+3 = 10 bytes.
        let payload = Data("héllo ✓".utf8)
        #expect(payload.count == 10)
        let pae = DSSEEnvelope.preAuthenticationEncoding(payloadType: "t/ü", payload: payload)
        // "t/ü" is 3 characters, 4 bytes.
        #expect(pae == Data("DSSEv1 4 t/ü 10 héllo ✓".utf8))
    }

    @Test("PAE of an empty payload ends with the zero length and a space")
    func paeEmptyPayload() {
        let pae = DSSEEnvelope.preAuthenticationEncoding(payloadType: "x", payload: Data())
        #expect(pae == Data("DSSEv1 1 x 0 ".utf8))
    }

    @Test("PAE carries arbitrary binary payload bytes unchanged")
    func paeBinaryPayload() {
        let payload = Data([0x00, 0xFF, 0x20, 0x0A])
        let pae = DSSEEnvelope.preAuthenticationEncoding(payloadType: "b", payload: payload)
        var expected = Data("DSSEv1 1 b 4 ".utf8)
        expected.append(payload)
        #expect(pae == expected)
    }

    @Test("a signature covers the PAE and verifies with the public key")
    func signVerifyRoundTrip() throws {
        let key = BundleSigningKey()
        let body = Data(#"{"hello":"world"}"#.utf8)
        let envelope = try key.sign(payload: body, payloadType: "application/example")

        #expect(envelope.payloadType == "application/example")
        #expect(try envelope.payloadBytes() == body)
        let signature = try #require(envelope.signatures.first)
        #expect(envelope.signatures.count == 1)
        #expect(signature.keyid == key.publicKey.keyID)

        let raw = try #require(Data(base64Encoded: signature.sig))
        let publicRaw = try #require(Data(base64Encoded: key.publicKey.publicKey))
        let publicKey = try Curve25519.Signing.PublicKey(rawRepresentation: publicRaw)
        let pae = DSSEEnvelope.preAuthenticationEncoding(payloadType: envelope.payloadType, payload: body)
        #expect(publicKey.isValidSignature(raw, for: pae))
        // Not over the bare payload, and not under another type.
        #expect(!publicKey.isValidSignature(raw, for: body))
        let otherType = DSSEEnvelope.preAuthenticationEncoding(payloadType: "application/other", payload: body)
        #expect(!publicKey.isValidSignature(raw, for: otherType))
        // Not by another key.
        #expect(!BundleSigningKey().privateKey.publicKey.isValidSignature(raw, for: pae))
    }

    @Test("payloadBytes refuses broken base64 with bundle.malformed")
    func brokenBase64() {
        let envelope = DSSEEnvelope(payloadType: "t", payload: "not base64!!", signatures: [])
        #expect {
            try envelope.payloadBytes()
        } throws: { error in
            (error as? ShoalError)?.code == .bundleMalformed
        }
    }

    @Test("the envelope's JSON uses the DSSE field names")
    func jsonFieldNames() throws {
        let envelope = DSSEEnvelope(payloadType: "t", payload: "aGk=", signatures: [.init(keyid: "k", sig: "c2ln")])
        let json = try #require(String(data: WireCoding.encode(envelope), encoding: .utf8))
        #expect(json == #"{"payload":"aGk=","payloadType":"t","signatures":[{"keyid":"k","sig":"c2ln"}]}"#)
        let back = try WireCoding.decode(DSSEEnvelope.self, from: Data(json.utf8))
        #expect(back == envelope)
    }

    @Test func eachKeyGetsOneAttemptAndOnlySoManySignaturesAreLookedAt() throws {
        let key = BundleSigningKey()
        let good = try key.sign(payload: Data("{}".utf8), payloadType: "application/x-test")
        let junk = DSSEEnvelope.Signature(keyid: key.publicKey.keyID, sig: Data(repeating: 7, count: 64).base64EncodedString())
        #expect(good.verifiedKeyIDs(among: [key.publicKey]) == [key.publicKey.keyID])
        // Hundreds of bad signatures naming the key cost one verify, and hide nothing past the cap.
        var flooded = good
        flooded.signatures = Array(repeating: junk, count: 300) + good.signatures
        #expect(flooded.verifiedKeyIDs(among: [key.publicKey]).isEmpty)
        var padded = good
        let other = BundleSigningKey()
        padded.signatures = Array(repeating: DSSEEnvelope.Signature(keyid: other.publicKey.keyID, sig: junk.sig), count: DSSEEnvelope.maxSignatures) + good.signatures
        #expect(padded.verifiedKeyIDs(among: [key.publicKey]).isEmpty)
        padded.signatures.removeFirst()
        #expect(padded.verifiedKeyIDs(among: [key.publicKey]) == [key.publicKey.keyID])
    }
}
