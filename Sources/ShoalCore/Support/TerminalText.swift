import Foundation

/// Makes text that came from the fleet safe to print on an operator's terminal.
///
/// Hostnames, facts, labels, step messages and step output are written by nodes — and a node
/// may be hostile. Printed raw, an escape sequence can retitle the window, rewrite earlier
/// lines (`\r`, cursor moves) to hide a failure, or on some terminals answer back into the
/// shell; a bidi override can make `ok` read as something else. Every such character is shown
/// as a visible escape instead: C0 controls (NUL, BEL, ESC, CR, …), DEL, the C1 controls
/// U+0080–U+009F, and the bidi embeddings, overrides and isolates U+202A–U+202E and
/// U+2066–U+2069. JSON output is never passed through here: it stays exact.
public enum TerminalText {
    /// One line: every control character escaped, line breaks and tabs included.
    public static func escaped(_ text: String) -> String {
        escape(text, keepingLines: false)
    }

    /// Many lines (step output, diffs, reports): `\n` and `\t` kept, everything else escaped.
    public static func escapedKeepingLines(_ text: String) -> String {
        escape(text, keepingLines: true)
    }

    /// Raw bytes (a node's stdout) as escaped text, lines kept; invalid UTF-8 shows as U+FFFD.
    public static func escapedKeepingLines(_ data: Data) -> String {
        escape(String(decoding: data, as: UTF8.self), keepingLines: true)
    }

    /// Whether printing `scalar` as it is could act on the terminal.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    private static func escape(_ text: String, keepingLines: Bool) -> String {
        // Most text has nothing to escape: hand it back untouched.
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard isUnsafe(scalar) else {
                result.append(scalar)
                continue
            }
            let visible: String
            switch scalar {
            case "\n": visible = keepingLines ? "\n" : "\\n"
            case "\t": visible = keepingLines ? "\t" : "\\t"
            case "\r": visible = "\\r"
            default:
                let hex = String(scalar.value, radix: 16)
                visible = scalar.value < 0x80 ? "\\x" + (hex.count < 2 ? "0" + hex : hex) : "\\u{\(hex)}"
            }
            result.append(contentsOf: visible.unicodeScalars)
        }
        return String(result)
    }
}
