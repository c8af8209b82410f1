import Foundation
import Hummingbird
import ServiceLifecycle
import ShoalCore

/// `GET /v1/tasks/{id}/changes?after=VERSION&wait=SECONDS`: a long poll on one rollout, so
/// `task run --wait`, `--follow` and scripts hear of each change when it is stored instead
/// of polling. It answers the `TaskView` at once when the task's `changeVersion` is above
/// `after` (or `after` is absent), else at the first change or when `wait` runs out. The
/// version lives in the store, so a client that reconnects, or a coordinator that restarted,
/// never loses a change: the next call with the last version seen answers at once.
///
/// Operators only: a held poll costs a connection and a watch, which is why it is capped
/// (`TaskWaitLimiter`) and why viewers read with `GET /v1/tasks/{id}` instead.
struct TaskChangeRoutes: Sendable {
    /// Longest `wait` accepted: long enough to be cheap, short enough for proxies and for a
    /// client to notice a dead connection.
    static let maxWaitSeconds = 60
    static let defaultWaitSeconds = 30

    let fleet: Fleet
    let limiter: TaskWaitLimiter

    func add(to router: Router<CoordinatorRequestContext>) {
        let write = router.group("/v1").add(middleware: RequireOperatorMiddleware(roles: [.admin, .operator]))
        write.get("tasks/{id}/changes") { request, context in
            let id = try context.parameters.require("id")
            let after = try request.uri.queryParameters.integer("after")
            let wait = try Self.waitDuration(request.uri.queryParameters.integer("wait"))
            let peer = try context.requirePeer()
            let permit = try limiter.acquire(credential: context.peerSerial ?? peer.name)
            defer { permit.release() }
            let includeNodes = try Self.includeNodes(request.uri.queryParameters.get("nodes"))
            let task = try await changed(taskID: id, after: after.map { Int64($0) }, wait: wait)
            return try JSONResponse.make(try await TaskPlanner(fleet: fleet).view(of: task, includeNodes: includeNodes))
        }
    }

    /// The `nodes` parameter: absent or `true` is the whole view; `false` leaves the nodes
    /// out, which is what a client waiting on a rollout of thousands of nodes wants from
    /// each change (its counts), reading the nodes once at the end.
    static func includeNodes(_ text: String?) throws -> Bool {
        switch text {
        case nil, "true": return true
        case "false": return false
        case let text?: throw ShoalError(.invalidArgument, "nodes must be true or false, got '\(text.prefix(40))'")
        }
    }

    /// The `wait` parameter: absent is the default, out of 0–60 s is refused.
    static func waitDuration(_ seconds: Int?) throws -> Duration {
        let seconds = seconds ?? defaultWaitSeconds
        guard (0...maxWaitSeconds).contains(seconds) else {
            throw ShoalError(.invalidArgument, "wait must be 0 to \(maxWaitSeconds) seconds, got \(seconds); to wait longer, ask again with the changeVersion you got as 'after'")
        }
        return .seconds(seconds)
    }

    /// The task once its version is above `after`, or as it is when `wait` ends or the
    /// coordinator shuts down.
    func changed(taskID: String, after: Int64?, wait: Duration) async throws -> TaskRecord {
        let deadline = ContinuousClock.now + wait
        // Registered before the first read: a change between that read and the wait is kept.
        let watch = fleet.store.taskChanges.watch(taskID: taskID)
        defer { watch.cancel() }
        while true {
            guard let task = try await fleet.store.task(id: taskID) else {
                throw ShoalError(.notFound, "no task \(taskID); 'coordinator task list' shows recent tasks")
            }
            guard let after, task.changeVersion <= after else { return task }
            let left = deadline - ContinuousClock.now
            if left <= .zero || Task.isShuttingDownGracefully || Task.isCancelled { return task }
            _ = await withGracefulShutdownHandler {
                try? await watch.wakeup.wait(upTo: left)
            } onGracefulShutdown: {
                // The server waits for open requests: answer now rather than hold it up.
                watch.wakeup.signal()
            }
        }
    }
}
