import Foundation
import Hummingbird
import ShoalCore

/// Where full step output lives: files in the data directory beside the SQLite store
/// (`TaskOutputFiles`), or chunks in the PostgreSQL database every replica shares
/// (`PostgresStepOutputs`), so an upload received by one replica is read through any other.
/// Uploads and downloads stream: neither is held whole in memory.
public protocol StepOutputStore: Sendable {
    /// Stores `body` as the output of one step's stream, replacing what was there, and returns
    /// the bytes stored. Refused with `request.too_large` (nothing kept) past `streamCap`, or
    /// past `deliveryCap` counting the delivery's other outputs.
    func store(_ body: RequestBody, taskID: String, deliveryID: String, step: Int, stream: String, streamCap: Int, deliveryCap: Int) async throws -> Int
    /// Every stream of every step of `delivery`'s result, in order, each under a header line.
    func body(taskID: String, delivery: DeliveryRecord) -> ResponseBody
    /// Retention: bytes stored per task, keyed by `ResultPathName.safe(taskID)`.
    func storedTasks() async throws -> [String: Int64]
    /// Retention: removes every output of one task (a key of `storedTasks`).
    func remove(taskFolder: String) async throws
}

extension StepOutputStore {
    /// The header line before each stream's output in `body`.
    static func header(step: StepResult, stream: String) -> String {
        "==> step \(step.index + 1) (\(step.name)) \(stream) <==\n"
    }
}
