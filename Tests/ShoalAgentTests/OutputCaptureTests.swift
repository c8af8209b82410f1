import Foundation
import ShoalAgent
import ShoalCore
import Testing

@Suite("Output capture")
struct OutputCaptureTests {
    let dir: TemporaryDirectory

    init() throws { dir = try TemporaryDirectory() }

    /// Writes `count` bytes cycling through the letters, so head and tail differ.
    func writeBytes(_ count: Int) throws -> (path: String, data: Data) {
        let data = Data((0..<count).map { UInt8(ascii: "a") + UInt8($0 % 26) })
        let path = dir.file("out.stdout")
        try data.write(to: URL(fileURLWithPath: path))
        return (path, data)
    }

    @Test("a file over 8 KiB keeps exactly 4096 bytes of head and 4096 of tail and counts every byte")
    func largeFile() throws {
        let (path, data) = try writeBytes(20_000)
        let captured = OutputCapture.read(path: path)
        #expect(captured.totalBytes == 20_000)
        #expect(Data(captured.head.utf8) == data.prefix(4096))
        #expect(Data(captured.tail.utf8) == data.suffix(4096))
        #expect(captured.truncated)
        #expect(captured.text.contains("[\(20_000 - 8192) bytes omitted]"))
        #expect(captured.text.hasPrefix(captured.head))
        #expect(captured.text.hasSuffix(captured.tail))
    }

    @Test("one byte over the limit is truncated by one byte")
    func justOver() throws {
        let (path, data) = try writeBytes(8193)
        let captured = OutputCapture.read(path: path)
        #expect(captured.totalBytes == 8193)
        #expect(Data(captured.head.utf8) == data.prefix(4096))
        #expect(Data(captured.tail.utf8) == data.suffix(4096))
        #expect(captured.text.contains("[1 bytes omitted]"))
    }

    @Test("a file of at most 8 KiB is kept whole in the head", arguments: [0, 1, 100, 8192])
    func smallFile(size: Int) throws {
        let (path, data) = try writeBytes(size)
        let captured = OutputCapture.read(path: path)
        #expect(captured.totalBytes == size)
        #expect(Data(captured.head.utf8) == data)
        #expect(captured.tail.isEmpty)
        #expect(!captured.truncated)
        #expect(captured.text == String(decoding: data, as: UTF8.self))
    }

    @Test("a missing file reads as empty")
    func missingFile() {
        #expect(OutputCapture.read(path: dir.file("absent")) == .empty)
    }

    @Test("firstLine skips leading blank lines")
    func firstLine() {
        #expect(CapturedOutput(head: "\n\nfirst\nsecond\n", tail: "", totalBytes: 15).firstLine == "first")
        #expect(CapturedOutput.empty.firstLine == "")
    }
}
