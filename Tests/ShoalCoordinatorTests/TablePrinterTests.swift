import Foundation
import ShoalCoordinator
import Testing

@Suite("Tables: cells are escaped before they are measured")
struct TablePrinterTests {
    @Test("a label or hostname with escape sequences prints escaped and columns stay aligned")
    func escapesCells() {
        let text = TablePrinter.render(
            header: ["ID", "HOSTNAME", "LABELS"],
            rows: [["n1", "web\u{1B}[2K", "note=\u{1B}]0;owned\u{07},role=web"], ["n2", "db", "role=\u{202E}bd"]]
        )
        #expect(!text.unicodeScalars.contains { TerminalTextProbe.unsafe($0) })
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[1] == "n1  web\\x1b[2K  note=\\x1b]0;owned\\x07,role=web")
        #expect(lines[2] == "n2  db          role=\\u{202e}bd")
    }
}

/// The escaper's own rule, so this test does not trust the code under test to say what is safe.
enum TerminalTextProbe {
    static func unsafe(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 && scalar != "\n" || (0x7F...0x9F).contains(scalar.value) || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
    }
}
