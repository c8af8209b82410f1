import Foundation

/// What every harness shares: libFuzzer's bytes as `Data`, and writing the seed corpus.
public enum FuzzInput {
    /// The input libFuzzer hands `LLVMFuzzerTestOneInput`, copied (libFuzzer owns the buffer).
    public static func data(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Data {
        guard let bytes, count > 0 else { return Data() }
        return Data(bytes: bytes, count: count)
    }

    /// How the committed seeds of a harness whose inputs must be made by Shoal's own code
    /// (signed envelopes, wire JSON, CSRs) are written: with `SHOAL_FUZZ_WRITE_SEEDS=DIR` the
    /// harness writes its seeds into DIR and exits instead of fuzzing. Called from
    /// `LLVMFuzzerInitialize`, before libFuzzer reads any corpus.
    public static func writeSeedsIfAsked(_ seeds: () throws -> [String: Data]) {
        guard let folder = ProcessInfo.processInfo.environment["SHOAL_FUZZ_WRITE_SEEDS"] else { return }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for (name, data) in try seeds() {
                try data.write(to: URL(fileURLWithPath: folder).appendingPathComponent(name))
            }
            exit(0)
        } catch {
            FileHandle.standardError.write(Data("writing seeds into \(folder) failed: \(error)\n".utf8))
            exit(1)
        }
    }
}
