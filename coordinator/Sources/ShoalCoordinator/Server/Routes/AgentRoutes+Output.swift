import Foundation
import Hummingbird
import ShoalCore
import Synchronization

extension AgentRoutes {
    /// `PUT /v1/agent/{node}/deliveries/{delivery}/output?step=N&stream=stdout|stderr`: one
    /// step's full output. Accepted only for the node's own delivery while it is with the
    /// node (delivered or running) or its result has not been stored yet (the agent sends
    /// output just before the result), only for a step the bundle has, and only up to
    /// `StepOutputFile.cap` per stream and `limits.max_output_bytes_per_delivery` in all. The
    /// body is written to disk as it arrives, never held whole in memory.
    func storeOutput(_ request: Request, context: CoordinatorRequestContext) async throws -> Response {
        let nodeID = try context.parameters.require("node")
        let deliveryID = try context.parameters.require("delivery")
        guard let step = request.uri.queryParameters.get("step", as: Int.self), step >= 0,
              let stream = request.uri.queryParameters.get("stream", as: String.self), StepOutputFile.streams.contains(stream) else {
            throw ShoalError(.invalidArgument, "output upload needs step=N and stream=stdout|stderr")
        }
        guard let delivery = try await fleet.store.delivery(id: deliveryID), delivery.nodeID == nodeID else {
            throw ShoalError(.notFound, "no delivery \(deliveryID) for node \(nodeID)")
        }
        let open: Set<NodeTaskStatus> = [.sent, .running, .timedOut, .cancelled, .interrupted]
        guard delivery.resultJSON == nil, open.contains(delivery.status) else {
            throw ShoalError(.conflict, "delivery \(deliveryID) is \(delivery.status.rawValue)\(delivery.resultJSON == nil ? "" : " and its result is stored"); its output is no longer accepted")
        }
        let steps = try await stepCount(taskID: delivery.taskID)
        guard step < steps else {
            throw ShoalError(.invalidArgument, "delivery \(deliveryID) has \(steps) step(s) (with handlers); there is no step index \(step)")
        }
        guard uploading.enter(deliveryID) else {
            throw ShoalError(.conflict, "another output upload for delivery \(deliveryID) is in progress; send one at a time")
        }
        defer { uploading.leave(deliveryID) }
        let stored = try await fleet.outputs.store(
            request.body, taskID: delivery.taskID, deliveryID: deliveryID, step: step, stream: stream,
            streamCap: StepOutputFile.cap + 4096, deliveryCap: limits.maxOutputBytesPerDelivery
        )
        return try JSONResponse.make(["stored": stored])
    }

    /// Steps plus handlers of a task: the step indexes its bundles can report.
    func stepCount(taskID: String) async throws -> Int {
        guard let task = try await fleet.store.task(id: taskID) else {
            throw ShoalError(.notFound, "no task \(taskID)")
        }
        if let count = task.stepCount { return count }
        let request = task.request
        return (request?.steps.count ?? 0) + (request?.handlers?.count ?? 0)
    }
}

/// Keys with an operation in progress, on this coordinator. Replicas do not share it: the
/// per-delivery cap holds across replicas because `PostgresStepOutputs` checks it again in
/// the transaction that commits an upload.
final class UploadGate: Sendable {
    private let busy = Mutex<Set<String>>([])

    func enter(_ key: String) -> Bool { busy.withLock { $0.insert(key).inserted } }
    func leave(_ key: String) { _ = busy.withLock { $0.remove(key) } }
}
