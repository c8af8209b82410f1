import Foundation
import ShoalCore
import Testing

@Suite("Terminal text: what nodes say is shown, never acted on")
struct TerminalTextTests {
    @Test("plain text, accents, CJK and emoji pass through untouched")
    func plainUntouched() {
        for text in ["web-01", "café", "节点", "gpu 🚀", "a\\x1b stays"] {
            #expect(TerminalText.escaped(text) == text)
        }
    }

    @Test("C0 controls, DEL and C1 controls are escaped", arguments: [
        ("\u{1B}]0;owned\u{07}", "\\x1b]0;owned\\x07"),
        ("ok\rFAILED", "ok\\rFAILED"),
        ("a\0b", "a\\x00b"),
        ("del\u{7F}", "del\\x7f"),
        ("csi\u{9B}31m", "csi\\u{9b}31m"),
        ("next\u{85}line", "next\\u{85}line"),
        ("\u{80}\u{9F}", "\\u{80}\\u{9f}"),
        ("two\nlines\ttab", "two\\nlines\\ttab"),
    ])
    func controlsEscaped(raw: String, shown: String) {
        #expect(TerminalText.escaped(raw) == shown)
    }

    @Test("bidi embeddings, overrides and isolates are escaped")
    func bidiEscaped() {
        #expect(TerminalText.escaped("ok\u{202E}deliaf") == "ok\\u{202e}deliaf")
        for value in Array(0x202A...0x202E) + Array(0x2066...0x2069) {
            let scalar = Unicode.Scalar(UInt32(value))!
            #expect(TerminalText.escaped(String(Character(scalar))) == "\\u{\(String(value, radix: 16))}")
        }
        // Neighbours that are not controls stay.
        #expect(TerminalText.escaped("\u{2029}\u{206A}") == "\u{2029}\u{206A}")
    }

    @Test("keeping lines: newlines and tabs stay, everything else is escaped; bytes decode safely")
    func keepingLines() {
        #expect(TerminalText.escapedKeepingLines("line 1\n\tline 2\r\n\u{1B}[2J") == "line 1\n\tline 2\\r\n\\x1b[2J")
        let bytes = Data([0x68, 0x69, 0x1B, 0x5B, 0x33, 0x31, 0x6D, 0xFF, 0x0A])
        let shown = TerminalText.escapedKeepingLines(bytes)
        #expect(shown == "hi\\x1b[31m\u{FFFD}\n")
        #expect(!shown.utf8.contains(0x1B))
    }

    @Test("nothing unsafe survives, whatever the input")
    func noUnsafeScalarSurvives() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let scalars = (0..<40).compactMap { _ in Unicode.Scalar(UInt32.random(in: 0...0x20FF, using: &generator) | (Bool.random(using: &generator) ? 0 : 0x2000)) }
            let text = String(String.UnicodeScalarView(scalars))
            #expect(!TerminalText.escaped(text).unicodeScalars.contains(where: TerminalText.isUnsafe))
        }
    }

    @Test("a stream cut anywhere, even inside a character, escapes as the whole would")
    func streamCutAnywhere() {
        let text = "héllo \u{1B}[2J wörld\r\n✓ done\n" + String(repeating: "ü", count: 40_000) + "\u{202E}end"
        let bytes = Array(text.utf8)
        let whole = TerminalText.escapedKeepingLines(Data(bytes))
        for chunkSize in [1, 2, 3, 7, 1000, 65_537] {
            var escaper = TerminalText.StreamEscaper()
            var shown = ""
            var start = 0
            while start < bytes.count {
                let end = min(start + chunkSize, bytes.count)
                shown += escaper.feed(bytes[start..<end])
                start = end
            }
            shown += escaper.finish()
            #expect(shown == whole, "chunks of \(chunkSize)")
        }
    }
}
