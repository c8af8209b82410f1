import Foundation
import ShoalCore
import Testing

/// Captured output arrives from nodes in results; the coordinator renders it (first line,
/// task output) whatever a node put in it.
@Suite("Captured output")
struct CapturedOutputTests {
    func decoded(_ json: String) throws -> CapturedOutput {
        try WireCoding.decode(CapturedOutput.self, from: Data(json.utf8))
    }

    @Test("a node's totalBytes near Int.min renders head and tail instead of trapping")
    func hugeNegativeTotal() throws {
        let output = try decoded(#"{"head":"first\nline","tail":"end","totalBytes":-9223372036854775808}"#)
        #expect(output.text == "first\nlineend")
        #expect(output.firstLine == "first")
        #expect(!output.truncated)
    }

    @Test("a totalBytes past what was kept reports the bytes dropped between head and tail")
    func droppedBytes() throws {
        #expect(try decoded(#"{"head":"ab","tail":"yz","totalBytes":9223372036854775807}"#).text == "ab\n… [9223372036854775803 bytes omitted] …\nyz")
        #expect(try decoded(#"{"head":"ab","tail":"yz","totalBytes":10}"#).text == "ab\n… [6 bytes omitted] …\nyz")
        #expect(try decoded(#"{"head":"ab","tail":"yz","totalBytes":4}"#).text == "abyz")
    }
}
