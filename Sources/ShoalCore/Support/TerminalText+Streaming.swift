import Foundation

extension TerminalText {
    /// Escapes a byte stream that arrives in chunks (a node's output read from the network) the
    /// way `escapedKeepingLines` escapes it whole: a chunk may end inside a UTF-8 sequence, so
    /// bytes wait until a line ends, or, for a very long line, until a character boundary.
    public struct StreamEscaper: Sendable {
        /// Bytes held back at most before a long line is escaped in pieces.
        public static let flushBytes = 64 * 1024
        private var pending: [UInt8] = []

        public init() {}

        /// The escaped text that is complete after `bytes` arrived.
        public mutating func feed(_ bytes: some Sequence<UInt8>) -> String {
            // Everything held back has no line end (it would have gone out), so only the new
            // bytes are searched: linear in the stream, however it is chunked.
            let start = pending.count
            pending.append(contentsOf: bytes)
            var cut = pending[start...].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
            if cut == 0, pending.count >= Self.flushBytes {
                // No line end in sight: stop before the last character's lead byte.
                cut = pending.count
                while cut > 0, pending[cut - 1] & 0xC0 == 0x80 { cut -= 1 }
                if cut > 0, pending[cut - 1] >= 0xC0 { cut -= 1 }
                if cut == 0 { cut = pending.count }
            }
            guard cut > 0 else { return "" }
            let ready = Data(pending[..<cut])
            pending.removeFirst(cut)
            return TerminalText.escapedKeepingLines(ready)
        }

        /// Whatever is left when the stream ends.
        public mutating func finish() -> String {
            defer { pending = [] }
            return pending.isEmpty ? "" : TerminalText.escapedKeepingLines(Data(pending))
        }
    }
}
