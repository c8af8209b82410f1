import Foundation
import ShoalCore
import Testing

/// The bundle harness's seeds (fuzz/corpus/bundle) are only worth fuzzing from while they pass
/// every check: when the bundle format changes, this fails until they are written anew
/// (`SHOAL_FUZZ_WRITE_SEEDS`, docs/security.md). Keys and clock are the harness's.
@Suite("Fuzz seed corpus")
struct FuzzSeedCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../fuzz/corpus/bundle").standardized
    static let now = Date(timeIntervalSince1970: 1_750_000_000)

    static func key(_ byte: UInt8) throws -> BundleSigningKey {
        try BundleSigningKey(rawRepresentation: Data(repeating: byte, count: 32))
    }

    func envelope(_ name: String) throws -> DSSEEnvelope {
        try WireCoding.decode(DSSEEnvelope.self, from: Data(contentsOf: Self.corpus.appendingPathComponent(name)))
    }

    @Test("the seed envelopes verify under the harness's test keys, except the bundle signed by a stranger")
    func seedsVerify() throws {
        let trust = TrustDocument.initial(
            fleet: "fuzz", roots: .init(threshold: 1, keys: [try Self.key(1).publicKey]), deliveryKeys: [try Self.key(7).publicKey],
            operators: [.init(name: "admin", key: try Self.key(9).publicKey, scope: .unrestricted)], now: Self.now.addingTimeInterval(-60)
        )
        let verifier = BundleVerifier(nodeID: "n-fuzz", trust: trust, labels: ["role": "web"], facts: nil)
        for name in ["command.json", "file.json", "check.json", "scheduled.json"] {
            #expect(throws: Never.self, "\(name)") {
                try verifier.verify(envelope(name), highWaterMark: 0, started: { _ in false }, now: Self.now)
            }
        }
        #expect {
            try verifier.verify(envelope("untrusted.json"), highWaterMark: 0, started: { _ in false }, now: Self.now)
        } throws: { error in
            (error as? ShoalError)?.code == .bundleUntrustedKey
        }
        #expect(try TrustDocument.accept(envelope("trust-next.json"), after: trust, fleet: "fuzz", now: Self.now).version == 2)
        #expect(try trust.verifyLabels(envelope("labels.json"), nodeID: "n-fuzz", current: ["role": "web"]).0.labels["zone"] == "eu-1")
    }
}
