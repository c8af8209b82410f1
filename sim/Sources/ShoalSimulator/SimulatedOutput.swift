import Foundation
import ShoalCore

/// A step's simulated stdout: `bytes` of printable lines naming the node and step, so the
/// stored output can be told apart and its size checked.
struct SimulatedOutput {
    let data: Data

    init(bytes: Int, node: String, step: Int) {
        let line = Array("sim \(node) step \(step) output line\n".utf8)
        var buffer = [UInt8]()
        buffer.reserveCapacity(bytes)
        while buffer.count < bytes { buffer.append(contentsOf: line.prefix(bytes - buffer.count)) }
        data = Data(buffer)
    }

    /// Head and tail as the agent captures them (4 KiB each).
    var captured: CapturedOutput {
        let text = String(decoding: data, as: UTF8.self)
        guard data.count > CapturedOutput.headLimit + CapturedOutput.tailLimit else {
            return CapturedOutput(head: text, tail: "", totalBytes: data.count)
        }
        return CapturedOutput(
            head: String(decoding: data.prefix(CapturedOutput.headLimit), as: UTF8.self),
            tail: String(decoding: data.suffix(CapturedOutput.tailLimit), as: UTF8.self), totalBytes: data.count
        )
    }
}
