import Foundation
import ShoalCore

/// Results wait here, one JSON file per bundle, until the coordinator acknowledges them:
/// a coordinator restart or outage loses none. Writes are atomic, so a crash mid-write
/// leaves the previous state.
public struct ResultSpool: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public func add(_ result: BundleResult) throws {
        try SecureFile.write(WireCoding.encode(result), to: file(for: result.deliveryID))
    }

    public func pending() -> [BundleResult] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().compactMap { name in
            guard let data = FileManager.default.contents(atPath: directory + "/" + name) else { return nil }
            return try? WireCoding.decode(BundleResult.self, from: data)
        }.sorted { $0.finishedAt < $1.finishedAt }
    }

    /// The spooled result for a delivery, if one waits for upload.
    public func result(deliveryID: String) -> BundleResult? {
        pending().first { $0.deliveryID == deliveryID }
    }

    public func remove(deliveryID: String) {
        unlink(file(for: deliveryID))
    }

    public var count: Int { pending().count }

    private func file(for deliveryID: String) -> String {
        directory + "/" + Self.safeName(deliveryID) + ".json"
    }

    /// Bundle ids come from the network; keep only characters that cannot leave the directory.
    static func safeName(_ id: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
        let cleaned = String(id.filter { allowed.contains($0) }.prefix(100))
        return cleaned.isEmpty ? "unnamed" : cleaned
    }
}
