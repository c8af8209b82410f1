import Foundation
import ShoalCore
import Testing

@Suite("Bundle verifier")
struct BundleVerifierTests {
    static let now = Date(timeIntervalSince1970: 1_750_000_000)
    let key = BundleSigningKey()
    var verifier: BundleVerifier { BundleVerifier(nodeID: "node-1", trustedKeys: [key.publicKey]) }

    func payload(node: String = "node-1", sequence: Int64 = 5, expiresIn: TimeInterval = 3600, version: Int? = nil) throws -> BundlePayload {
        var payload = BundlePayload(
            bundleID: "b-1", taskID: "t-1", nodeID: node, sequence: sequence,
            issuedAt: Self.now.addingTimeInterval(-10), expiresAt: Self.now.addingTimeInterval(expiresIn), timeoutSeconds: 60,
            steps: [try StepSpec(kind: "command", name: "hi", encoding: CommandStepParams(argv: ["/bin/true"]))]
        )
        if let version { payload.version = version }
        return payload
    }

    func expectRefusal(_ envelope: DSSEEnvelope, highWaterMark: Int64 = 0, verifier: BundleVerifier? = nil, code: ShoalError.Code) {
        let verifier = verifier ?? self.verifier
        #expect {
            try verifier.verify(envelope, highWaterMark: highWaterMark, now: Self.now)
        } throws: { error in
            (error as? ShoalError)?.code == code
        }
    }

    @Test("a good bundle verifies and returns the signed payload")
    func acceptsGoodBundle() throws {
        let signed = try payload()
        let verified = try verifier.verify(signed.signed(with: key), highWaterMark: 4, now: Self.now)
        #expect(verified == signed)
    }

    @Test("any one trusted signature among several is enough")
    func acceptsOneTrustedAmongMany() throws {
        var envelope = try payload().signed(with: key)
        let other = try payload().signed(with: BundleSigningKey())
        envelope.signatures = other.signatures + envelope.signatures
        #expect(try verifier.verify(envelope, highWaterMark: 0, now: Self.now).bundleID == "b-1")
    }

    @Test("a payload changed after signing is bundle.bad_signature")
    func tamperedPayload() throws {
        var envelope = try payload().signed(with: key)
        let altered = try payload(sequence: 999)
        envelope.payload = try WireCoding.encode(altered).base64EncodedString()
        expectRefusal(envelope, code: .bundleBadSignature)
    }

    @Test("a signature that is not valid base64 under a trusted key id is bundle.bad_signature")
    func garbageSignature() throws {
        var envelope = try payload().signed(with: key)
        envelope.signatures[0].sig = "@@@"
        expectRefusal(envelope, code: .bundleBadSignature)
    }

    @Test("a bundle signed by a key the agent does not trust is bundle.untrusted_key")
    func untrustedKey() throws {
        let envelope = try payload().signed(with: BundleSigningKey())
        expectRefusal(envelope, code: .bundleUntrustedKey)
    }

    @Test("an untrusted key that claims a trusted key id is bundle.bad_signature")
    func forgedKeyID() throws {
        var envelope = try payload().signed(with: BundleSigningKey())
        envelope.signatures[0].keyid = key.publicKey.keyID
        expectRefusal(envelope, code: .bundleBadSignature)
    }

    @Test("a payload type other than the bundle type is bundle.wrong_payload_type")
    func wrongType() throws {
        let envelope = try key.sign(payload: WireCoding.encode(payload()), payloadType: "application/json")
        expectRefusal(envelope, code: .bundleWrongType)
        // The type is checked first: even an untrusted signature reports the type.
        let untrusted = try BundleSigningKey().sign(payload: WireCoding.encode(payload()), payloadType: "application/json")
        expectRefusal(untrusted, code: .bundleWrongType)
    }

    @Test("a bundle for another node is bundle.wrong_node")
    func wrongNode() throws {
        expectRefusal(try payload(node: "node-2").signed(with: key), code: .bundleWrongNode)
    }

    @Test("an expired bundle is bundle.expired, including at the instant it expires")
    func expired() throws {
        expectRefusal(try payload(expiresIn: -1).signed(with: key), code: .bundleExpired)
        expectRefusal(try payload(expiresIn: 0).signed(with: key), code: .bundleExpired)
        #expect(throws: Never.self) { try verifier.verify(try payload(expiresIn: 1).signed(with: key), highWaterMark: 0, now: Self.now) }
    }

    @Test("a sequence at or below the high-water mark is bundle.replayed", arguments: [Int64(5), 6, 1000])
    func replayed(highWaterMark: Int64) throws {
        expectRefusal(try payload(sequence: 5).signed(with: key), highWaterMark: highWaterMark, code: .bundleReplayed)
    }

    @Test("the message of a replay names the sequence and the high-water mark")
    func replayMessage() throws {
        let envelope = try payload(sequence: 5).signed(with: key)
        let error = #expect(throws: ShoalError.self) { try verifier.verify(envelope, highWaterMark: 7, now: Self.now) }
        #expect(error?.message.contains("sequence 5") == true)
        #expect(error?.message.contains("high-water mark 7") == true)
    }

    @Test("an envelope without signatures is bundle.bad_signature")
    func noSignatures() throws {
        var envelope = try payload().signed(with: key)
        envelope.signatures = []
        expectRefusal(envelope, code: .bundleBadSignature)
    }

    @Test("a payload that is not base64 is bundle.malformed")
    func brokenBase64() throws {
        var envelope = try payload().signed(with: key)
        envelope.payload = "%%% not base64 %%%"
        expectRefusal(envelope, code: .bundleMalformed)
    }

    @Test("a correctly signed payload that is not a bundle is bundle.malformed")
    func signedGarbage() throws {
        let envelope = try key.sign(payload: Data(#"{"hello":"world"}"#.utf8), payloadType: BundlePayload.payloadType)
        expectRefusal(envelope, code: .bundleMalformed)
    }

    @Test("a bundle format version this agent does not know is bundle.malformed")
    func unknownVersion() throws {
        expectRefusal(try payload(version: 2).signed(with: key), code: .bundleMalformed)
    }

    @Test("an agent that trusts no keys refuses everything as untrusted")
    func noTrustedKeys() throws {
        let none = BundleVerifier(nodeID: "node-1", trustedKeys: [])
        expectRefusal(try payload().signed(with: key), verifier: none, code: .bundleUntrustedKey)
    }
}
