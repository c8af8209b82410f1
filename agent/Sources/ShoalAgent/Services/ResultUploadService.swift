import Foundation
import Logging
import ServiceLifecycle
import ShoalClient
import ShoalCore

/// Pushes spooled results to the coordinator and deletes each one only once the coordinator
/// has acknowledged it (it acknowledges after committing). Retries with backoff while the
/// coordinator is away; wakes at once when nudged.
public struct ResultUploadService: Service {
    let client: APIClient
    let nodeID: String
    let spool: ResultSpool
    /// Where steps wrote their full output (the state directory's `output/`).
    let outputRoot: String
    let logger: Logger
    private let wakeup = Wakeup()

    public init(client: APIClient, nodeID: String, spool: ResultSpool, outputRoot: String, logger: Logger) {
        self.client = client
        self.nodeID = nodeID
        self.spool = spool
        self.outputRoot = outputRoot
        self.logger = logger
    }

    /// How long an idle uploader sleeps when nothing nudges it.
    static let idleRecheck: Duration = .seconds(3600)

    public func nudge() { wakeup.signal() }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { [self] in
            var backoff = Backoff()
            while !Task.isCancelled {
                // Every result the executor spools comes with a nudge, so an empty spool needs
                // no polling; the long wait is only a backstop. Failed uploads retry on backoff.
                var delay = Self.idleRecheck
                let pending = spool.pending()
                if !pending.isEmpty {
                    do {
                        // Small batches keep each request well under the server's body limit.
                        for start in stride(from: 0, to: pending.count, by: 20) {
                            let batch = Array(pending[start..<min(start + 20, pending.count)])
                            for result in batch { try await uploadOutput(of: result) }
                            let ack = try await client.post("/v1/agent/\(nodeID)/results", body: ResultsUpload(results: batch), as: ResultsAck.self)
                            for id in ack.acknowledged { spool.remove(deliveryID: id) }
                        }
                        // Results the coordinator did not acknowledge are retried, on backoff.
                        if spool.pending().isEmpty { backoff.reset() } else { delay = backoff.next() }
                    } catch is CancellationError {
                        return  // the agent is stopping; what is unacknowledged stays spooled
                    } catch {
                        delay = (error as? ShoalError)?.retryDelay(fallback: backoff.next()) ?? backoff.next()
                        logger.warning("uploading results failed; they stay spooled", metadata: ["error": "\(error)", "pending": "\(pending.count)"])
                    }
                }
                try await wakeup.wait(upTo: delay)
            }
        }
    }

    /// Sends each step's full output (bounded) before the result itself, so an acknowledged
    /// result always has its output on the coordinator. A delivery the coordinator does not
    /// know (404) has nowhere to put it: skipped.
    func uploadOutput(of result: BundleResult) async throws {
        guard result.status != .refused else { return }
        let directory = outputRoot + "/" + ResultSpool.safeName(result.bundleID)
        for step in result.steps {
            for stream in StepOutputFile.streams {
                guard let data = StepOutputFile.bounded(path: directory + "/step-\(step.index).\(stream)"), !data.isEmpty else { continue }
                do {
                    _ = try await client.send(
                        method: .PUT, path: "/v1/agent/\(nodeID)/deliveries/\(result.deliveryID)/output?step=\(step.index)&stream=\(stream)",
                        body: data, timeout: .seconds(120), contentType: "application/octet-stream"
                    )
                } catch let error as ShoalError where error.code == .notFound {
                    return
                }
            }
        }
    }
}
