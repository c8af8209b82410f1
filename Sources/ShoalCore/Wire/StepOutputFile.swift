import Foundation

/// The full output of one step stream, as the agent uploads it after a bundle and the
/// coordinator keeps it on disk (`PUT /v1/agent/{node}/deliveries/{id}/output?step=N&stream=stdout`).
/// Streams larger than `cap` keep their first and last `cap / 2` bytes around a marker line.
public enum StepOutputFile {
    public static let cap = 8 * 1024 * 1024
    public static let streams = ["stdout", "stderr"]

    /// Reads `path` bounded by `cap`.
    public static func bounded(path: String, cap: Int = StepOutputFile.cap) -> Data? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let size = Int((try? handle.seekToEnd()) ?? 0)
        try? handle.seek(toOffset: 0)
        if size <= cap { return (try? handle.readToEnd()) ?? Data() }
        var data = (try? handle.read(upToCount: cap / 2)) ?? Data()
        data.append(Data("\n… [\(size - cap) bytes omitted by the \(cap)-byte output cap] …\n".utf8))
        try? handle.seek(toOffset: UInt64(size - cap / 2))
        data.append((try? handle.readToEnd()) ?? Data())
        return data
    }
}
