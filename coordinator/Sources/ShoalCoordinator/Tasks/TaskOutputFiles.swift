import Foundation
import ShoalCore

/// Full step output on the coordinator's disk, one file per step and stream. The database
/// keeps only head and tail; this is what `coordinator task output` shows.
struct TaskOutputFiles: Sendable {
    let root: String

    func path(taskID: String, deliveryID: String, step: Int, stream: String) -> String {
        "\(root)/\(ResultPathName.safe(taskID))/\(ResultPathName.safe(deliveryID))/step-\(step).\(stream)"
    }

    func write(_ data: Data, taskID: String, deliveryID: String, step: Int, stream: String) throws {
        let file = path(taskID: taskID, deliveryID: deliveryID, step: step, stream: stream)
        try SecureFile.makeDirectory((file as NSString).deletingLastPathComponent)
        try SecureFile.write(data, to: file)
    }

    /// Retention: the task folders under `root` (named by `ResultPathName.safe` of the task
    /// id) with the bytes each holds.
    func storedTasks() -> [String: Int64] {
        let files = FileManager.default
        var sizes: [String: Int64] = [:]
        for folder in (try? files.contentsOfDirectory(atPath: root)) ?? [] {
            var total: Int64 = 0
            let enumerator = files.enumerator(atPath: root + "/" + folder)
            while let file = enumerator?.nextObject() as? String {
                let attributes = try? files.attributesOfItem(atPath: "\(root)/\(folder)/\(file)")
                if attributes?[.type] as? FileAttributeType == .typeRegular { total += (attributes?[.size] as? NSNumber)?.int64Value ?? 0 }
            }
            sizes[folder] = total
        }
        return sizes
    }

    /// Retention: removes every output file of one task folder (as `storedTasks` names it).
    func remove(taskFolder: String) throws {
        let path = root + "/" + ResultPathName.safe(taskFolder)
        guard FileManager.default.fileExists(atPath: path) else { return }
        try FileManager.default.removeItem(atPath: path)
    }

    /// Every stream of every step, in order, with a header line each.
    func text(taskID: String, delivery: DeliveryRecord) -> String {
        let steps = delivery.result?.steps ?? []
        var out = ""
        for step in steps {
            for stream in StepOutputFile.streams {
                let file = path(taskID: taskID, deliveryID: delivery.id, step: step.index, stream: stream)
                guard let data = FileManager.default.contents(atPath: file), !data.isEmpty else { continue }
                out += "==> step \(step.index + 1) (\(step.name)) \(stream) <==\n"
                out += String(decoding: data, as: UTF8.self)
                if !out.hasSuffix("\n") { out += "\n" }
            }
        }
        return out
    }
}

/// Ids from the network become path components only after this.
enum ResultPathName {
    static func safe(_ id: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
        let cleaned = String(id.filter { allowed.contains($0) }.prefix(100))
        return cleaned.isEmpty ? "unnamed" : cleaned
    }
}
