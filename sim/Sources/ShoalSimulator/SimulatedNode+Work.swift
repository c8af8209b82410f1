import Foundation
import ShoalAgent
import ShoalClient
import ShoalCore

/// The node's long poll and what it does with a bundle: verify it as the agent does (the
/// same verifier, high-water mark and started-task ledger), simulate its steps, upload the
/// output and the result.
extension SimulatedNode {
    func pollLoop(client: APIClient, nodeID: String, trust: TrustState) async {
        // Deliveries handed out again before the coordinator heard them start are not re-run
        // (the agent keeps the same list).
        var handled: [String] = []
        var failures = 0
        while !Task.isCancelled {
            do {
                try await pollOnce(client: client, nodeID: nodeID, trust: trust, wait: options.pollWait, handled: &handled)
                failures = 0
            } catch {
                guard !Task.isCancelled else { return }
                failures += 1
                try? await Task.sleep(for: retryDelay(after: error, failures: failures))
            }
        }
    }

    /// One connection per node (`--connections-per-node 1`): the long poll waits only until
    /// the next heartbeat is due, then the heartbeat goes on the same connection. Half the
    /// sockets of the agent's two loops, for fleets larger than half the open-file limit; the
    /// coordinator sees the same heartbeats and more, shorter polls.
    func sharedConnectionLoop(client: APIClient, nodeID: String, trust: TrustState) async {
        var handled: [String] = []
        var factsSent = false
        var failures = 0
        var nextBeat = ContinuousClock.now
        while !Task.isCancelled {
            if ContinuousClock.now >= nextBeat {
                nextBeat = ContinuousClock.now + (await beat(client: client, nodeID: nodeID, trust: trust, factsSent: &factsSent))
            }
            let wait = max(1, min(options.pollWait, Int((nextBeat - ContinuousClock.now).components.seconds)))
            do {
                try await pollOnce(client: client, nodeID: nodeID, trust: trust, wait: wait, handled: &handled)
                failures = 0
            } catch {
                guard !Task.isCancelled else { return }
                failures += 1
                try? await Task.sleep(for: min(retryDelay(after: error, failures: failures), max(.zero, nextBeat - ContinuousClock.now)))
            }
        }
    }

    /// One long poll and the bundles it brought, each verified, "run" and uploaded.
    func pollOnce(client: APIClient, nodeID: String, trust: TrustState, wait: Int, handled: inout [String]) async throws {
        let response = try await client.get(
            "/v1/agent/\(nodeID)/bundles?wait=\(wait)&trust=\(await trust.version)", as: BundlePollResponse.self,
            timeout: .seconds(Int64(wait) + 15)
        )
        if let chain = response.trust, !chain.isEmpty {
            do { try await trust.accept(chain: chain) } catch { stats.error(code: "trust.refused") }
        }
        let fresh = response.deliveries.filter { !handled.contains($0.deliveryID) }
        // Only bundles already run (their results on the way): the coordinator answers at
        // once, so do not spin on it.
        if fresh.isEmpty, !response.deliveries.isEmpty { try await Task.sleep(for: .seconds(1)) }
        for delivery in fresh {
            handled = Array((handled + [delivery.deliveryID]).suffix(256))
            let result = try await handle(delivery, client: client, nodeID: nodeID, trust: trust)
            try await upload(result, client: client, nodeID: nodeID)
        }
    }

    /// Counts the error and says how long to wait: what the coordinator asked for, else
    /// exponential backoff from 1 s to 30 s with jitter, as the agent's.
    func retryDelay(after error: any Error, failures: Int) -> Duration {
        record(error)
        let ceiling = min(30, pow(2, Double(min(failures, 6) - 1)))
        let fallback = Duration.milliseconds(Int64(Double.random(in: 0.5...1.0) * ceiling * 1000))
        return (error as? ShoalError)?.retryDelay(fallback: fallback) ?? fallback
    }

    /// The result for one delivery: refused (and counted by code) when verification fails,
    /// else the simulated steps' outcome.
    func handle(_ delivery: BundlePollResponse.Delivery, client: APIClient, nodeID: String, trust: TrustState) async throws -> BundleResult {
        let startedAt = Timestamp.now()
        let verified: BundleVerifier.Verified
        do {
            let verifier = try await trust.verifier(nodeID: nodeID, claimedLabels: [:], facts: hardware.facts, metrics: hardware.sample())
            let startedKeys = await trust.startedKeys(now: startedAt)
            verified = try verifier.verify(delivery.envelope, highWaterMark: try state.highWaterMark(), started: { startedKeys.contains($0) }, now: startedAt)
        } catch let error as ShoalError {
            stats.refused(code: error.code.rawValue)
            logger.warning("refused bundle", metadata: ["node": "\(hostname)", "delivery": "\(delivery.deliveryID)", "code": "\(error.code.rawValue)"])
            let claimed = (try? delivery.envelope.payloadBytes()).flatMap { try? WireCoding.decode(DeliveryPayload.self, from: $0) }
            return BundleResult(
                deliveryID: delivery.deliveryID, bundleID: claimed?.bundleID ?? "unknown", taskID: claimed?.taskID, nodeID: nodeID,
                sequence: claimed?.sequence, status: .refused, errorCode: error.code, message: error.message, startedAt: startedAt, finishedAt: Timestamp.now()
            )
        }
        stats.verified()
        let bundle = verified.bundle
        // Durable before anything "runs", as on the agent: a replay is refused after a restart.
        try state.storeHighWaterMark(bundle.sequence)
        try await trust.recordStarted(verified.ledgerKey, until: verified.ledgerExpiresAt)
        let start = try await client.post("/v1/agent/\(nodeID)/deliveries/\(delivery.deliveryID)/start", body: [String: String](), as: DeliveryStartResponse.self)
        guard start.proceed else {
            return BundleResult(
                deliveryID: delivery.deliveryID, bundleID: bundle.bundleID, taskID: bundle.taskID, nodeID: nodeID, sequence: bundle.sequence,
                status: .cancelled, errorCode: .taskCancelled, message: "the task was cancelled before this node started it",
                startedAt: startedAt, finishedAt: Timestamp.now()
            )
        }
        var steps: [StepResult] = []
        var failed = false
        for (index, spec) in bundle.steps.enumerated() {
            if failed {
                steps.append(StepResult(index: index, name: spec.displayName, kind: spec.kind, status: .skipped))
                continue
            }
            let seconds = Self.simulatedSeconds(of: spec) ?? options.stepDuration
            if seconds > 0 { try await Task.sleep(for: .milliseconds(Int64(seconds * 1000))) }
            failed = Double.random(in: 0..<1) < options.failureRate
            let output = SimulatedOutput(bytes: options.outputBytes, node: hostname, step: index)
            steps.append(StepResult(
                index: index, name: spec.displayName, kind: spec.kind, status: failed ? .failed : .changed, exitCode: failed ? 1 : 0,
                durationMilliseconds: Int(seconds * 1000), stdout: output.captured, errorCode: failed ? .stepFailed : nil,
                message: failed ? "simulated failure" : nil
            ))
        }
        return BundleResult(
            deliveryID: delivery.deliveryID, bundleID: bundle.bundleID, taskID: bundle.taskID, nodeID: nodeID, sequence: bundle.sequence,
            status: failed ? .failed : .succeeded, errorCode: failed ? .stepFailed : nil, message: failed ? "simulated failure" : nil,
            startedAt: startedAt, finishedAt: Timestamp.now(), steps: steps
        )
    }

    /// A `command` step that is just `sleep N` takes N seconds, so a rollout benchmark can
    /// give its steps a length without a simulator option per task; nil for anything else.
    static func simulatedSeconds(of spec: StepSpec) -> Double? {
        guard spec.kind == "command", let script = (try? spec.decodeParams(CommandStepParams.self))?.script else { return nil }
        let words = script.split(separator: " ")
        guard words.count == 2, words[0] == "sleep", let seconds = Double(words[1]), seconds >= 0 else { return nil }
        return seconds
    }

    /// Each step's full output first, then the result, as the agent's uploader does; retried
    /// until the coordinator acknowledges it or the node stops.
    func upload(_ result: BundleResult, client: APIClient, nodeID: String) async throws {
        var attempt = 0
        while true {
            do {
                if result.status != .refused {
                    for step in result.steps where step.stdout.totalBytes > 0 {
                        let output = SimulatedOutput(bytes: step.stdout.totalBytes, node: hostname, step: step.index)
                        _ = try await client.send(
                            method: .PUT, path: "/v1/agent/\(nodeID)/deliveries/\(result.deliveryID)/output?step=\(step.index)&stream=stdout",
                            body: output.data, timeout: .seconds(120), contentType: "application/octet-stream"
                        )
                        stats.outputUploaded(bytes: output.data.count)
                    }
                }
                let ack = try await client.post("/v1/agent/\(nodeID)/results", body: ResultsUpload(results: [result]), as: ResultsAck.self)
                if ack.acknowledged.contains(result.deliveryID) { stats.resultUploaded() }
                return
            } catch {
                try Task.checkCancellation()
                record(error)
                attempt += 1
                try await Task.sleep(for: (error as? ShoalError)?.retryDelay(fallback: .seconds(min(30, attempt))) ?? .seconds(min(30, attempt)))
            }
        }
    }
}
