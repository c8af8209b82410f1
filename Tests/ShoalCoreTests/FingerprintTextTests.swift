import ShoalCore
import Testing

@Suite("Fingerprint text")
struct FingerprintTextTests {
    @Test("fingerprints as typed normalise to sha256: and bare lowercase hex", arguments: [
        ("sha256:abcdef01", "sha256:abcdef01"),
        ("SHA256:AB:CD:EF:01", "sha256:abcdef01"),
        ("AB:CD:EF:01", "sha256:abcdef01"),
        ("ab cd ef 01", "sha256:abcdef01"),
        ("Sha256:aB:Cd ef01", "sha256:abcdef01"),
    ])
    func normalise(input: String, expected: String) {
        #expect(FingerprintText.normalise(input) == expected)
    }

    @Test("normalising is idempotent")
    func idempotent() {
        let once = FingerprintText.normalise("SHA256:0A:0B")
        #expect(FingerprintText.normalise(once) == once)
    }

    @Test("different fingerprints stay different")
    func distinct() {
        #expect(FingerprintText.normalise("AB:CD") != FingerprintText.normalise("AB:CE"))
    }
}
