import Crypto
import Foundation
import ShoalCore
import Testing

@Suite("Bundle signing key")
struct BundleSigningKeyTests {
    @Test("key ids are sha256: and 64 lowercase hex digits of the raw public key")
    func keyIDForm() throws {
        let key = BundleSigningKey()
        let id = key.publicKey.keyID
        #expect(id.hasPrefix("sha256:"))
        let hex = id.dropFirst("sha256:".count)
        #expect(hex.count == 64)
        #expect(hex.allSatisfy { "0123456789abcdef".contains($0) })
        let raw = key.privateKey.publicKey.rawRepresentation
        let expected = SHA256.hash(data: raw).map { String(format: "%02x", $0) }.joined()
        #expect(String(hex) == expected)
        #expect(BundleSigningKey().publicKey.keyID != id)
    }

    @Test("the key file text is one line 'ed25519:' + base64 of the 32-byte seed")
    func fileTextForm() throws {
        let key = BundleSigningKey()
        let text = key.fileText
        #expect(text.hasPrefix("ed25519:"))
        #expect(text.hasSuffix("\n"))
        #expect(text.filter { $0 == "\n" }.count == 1)
        let seed = try #require(Data(base64Encoded: String(text.dropFirst(8).dropLast())))
        #expect(seed.count == 32)
    }

    @Test("a key read back from its file text is the same key")
    func fileTextRoundTrip() throws {
        let key = BundleSigningKey()
        let loaded = try BundleSigningKey(fileText: key.fileText)
        #expect(loaded.publicKey == key.publicKey)
        #expect(loaded.privateKey.rawRepresentation == key.privateKey.rawRepresentation)
        // Surrounding whitespace, as an editor may leave it, is accepted.
        let padded = try BundleSigningKey(fileText: "  " + key.fileText + "\n\n")
        #expect(padded.publicKey == key.publicKey)
        // The reloaded key's signatures verify under the original's public key.
        let envelope = try loaded.sign(payload: Data("x".utf8), payloadType: "t")
        #expect(envelope.signatures.first?.keyid == key.publicKey.keyID)
    }

    @Test("key file text without the prefix or with broken base64 is config.invalid",
          arguments: ["", "ed25519", "rsa:AAAA", "ed25519:%%%not-base64%%%", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="])
    func badFileText(text: String) {
        #expect {
            try BundleSigningKey(fileText: text)
        } throws: { error in
            (error as? ShoalError)?.code == .configInvalid
        }
    }

    @Test("a seed of the wrong length is refused as config.invalid")
    func wrongSeedLength() {
        let text = "ed25519:" + Data(repeating: 7, count: 16).base64EncodedString()
        let error = #expect(throws: (any Error).self) { try BundleSigningKey(fileText: text) }
        #expect((error as? ShoalError)?.code == .configInvalid)
    }

    @Test("a trusted key built from its base64 has the same key id")
    func trustedKeyFromBase64() throws {
        let key = BundleSigningKey()
        let trusted = try TrustedBundleKey(publicKeyBase64: key.publicKey.publicKey)
        #expect(trusted == key.publicKey)
        #expect {
            try TrustedBundleKey(publicKeyBase64: "AAAA")
        } throws: { error in
            (error as? ShoalError)?.code == .configInvalid
        }
    }
}
