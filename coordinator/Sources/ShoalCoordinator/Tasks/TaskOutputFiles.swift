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
