import Foundation
import Logging
import ShoalAgent
import ShoalCore
import ShoalTestSupport
import Testing

@Suite("Bundle executor")
struct BundleExecutorTests {
    let dir: TemporaryDirectory
    let state: AgentStateDirectory
    let spool: ResultSpool
    let keys: TrustFixture
    let trust: TrustState
    let executor: BundleExecutor

    let cancellations = BundleCancellations()

    init() async throws {
        dir = try TemporaryDirectory()
        state = AgentStateDirectory(path: dir.file("state"))
        try state.prepare()
        spool = ResultSpool(directory: state.spoolDirectory)
        keys = try TrustFixture()
        trust = try TrustState(state: state)
        try await trust.accept(chain: [keys.envelope])
        executor = Self.makeExecutor(state: state, spool: spool, trust: trust, cancellations: cancellations)
    }

    static func makeExecutor(
        state: AgentStateDirectory, spool: ResultSpool, trust: TrustState, cancellations: BundleCancellations,
        startGate: @escaping @Sendable (String) async -> Bool = { _ in true }
    ) -> BundleExecutor {
        BundleExecutor(
            state: state, spool: spool, nodeID: "node-1", trust: trust,
            logger: Logger(label: "shoal.tests.executor"), cancellations: cancellations, startGate: startGate, facts: { nil }
        )
    }

    /// Results as they travel. Compared this way because a Date can differ in its last bit
    /// after a JSON round trip (see WireCodingTests.roundedSurvivesRoundTrip).
    func wire(_ results: [BundleResult]) throws -> Data {
        try WireCoding.encode(results)
    }

    /// A script step that appends `word` to the `runs` file.
    func append(_ word: String) throws -> StepSpec {
        try commandSpec(CommandStepParams(script: "echo \(word) >> '\(dir.file("runs"))'"), name: "append \(word)")
    }

    /// A delivery of a freshly signed task (its own task id, so each is new to the node).
    func delivery(
        _ id: String, sequence: Int64 = 7, timeout: Int = 60, checkMode: Bool = false, steps: [StepSpec], signer: BundleSigningKey? = nil,
        statement: DSSEEnvelope? = nil
    ) throws -> BundlePollResponse.Delivery {
        let signed = try statement ?? keys.statement(steps: steps, timeout: timeout, checkMode: checkMode)
        let envelope = try keys.delivery(signed, bundleID: "bundle-\(sequence)", sequence: sequence, key: signer)
        return BundlePollResponse.Delivery(deliveryID: id, envelope: envelope)
    }

    @Test("a good bundle runs every step in order, spools one succeeded result and raises the high-water mark")
    func runsGoodBundle() async throws {
        let result = try await executor.handle(delivery("d-1", steps: [append("one"), append("two")]))
        #expect(result.status == .succeeded)
        #expect(result.errorCode == nil)
        #expect(result.steps.map(\.status) == [.changed, .changed])
        #expect(result.steps.map(\.name) == ["append one", "append two"])
        #expect(result.steps.map(\.index) == [0, 1])
        #expect(dir.lines("runs") == ["one", "two"])
        #expect(try state.highWaterMark() == 7)

        let pending = spool.pending()
        #expect(try wire(pending) == wire([result]))
        #expect(pending.first?.deliveryID == "d-1")
        #expect(pending.first?.sequence == 7)
        // No running marker is left once the result is spooled.
        #expect(try FileManager.default.contentsOfDirectory(atPath: state.runningDirectory).isEmpty)
    }

    @Test("step output is captured into the result and kept on disk under the bundle's directory")
    func keepsOutput() async throws {
        let echo = try commandSpec(CommandStepParams(argv: ["/bin/echo", "captured text"]))
        let result = try await executor.handle(delivery("d-1", steps: [echo]))
        #expect(result.steps.first?.stdout.head == "captured text\n")
        let onDisk = try String(contentsOfFile: state.outputDirectory + "/bundle-7/step-0.stdout", encoding: .utf8)
        #expect(onDisk == "captured text\n")
    }

    @Test("the same envelope delivered again is refused as a replay and nothing runs twice")
    func refusesReplay() async throws {
        let first = try delivery("d-1", steps: [append("once")])
        try await executor.handle(first)
        let again = BundlePollResponse.Delivery(deliveryID: "d-2", envelope: first.envelope)
        let result = try await executor.handle(again)
        #expect(result.status == .refused)
        #expect(result.errorCode == .bundleReplayed)
        #expect(result.steps.isEmpty)
        #expect(result.bundleID == "bundle-7")
        #expect(dir.lines("runs") == ["once"])
        #expect(try state.highWaterMark() == 7)
        #expect(spool.pending().map(\.deliveryID).sorted() == ["d-1", "d-2"])
    }

    @Test("a delivery handed out again whose result still waits in the spool keeps that result")
    func redeliveredKeepsItsResult() async throws {
        let first = try delivery("d-1", steps: [append("once")])
        let ran = try await executor.handle(first)
        #expect(ran.status == .succeeded)
        // The coordinator never heard it start and hands the same delivery out again.
        let again = try await executor.handle(first)
        #expect(again.status == .succeeded)
        #expect(dir.lines("runs") == ["once"])
        #expect(spool.pending().map(\.status) == [.succeeded])
    }

    @Test("a signed task delivered again under a new sequence is refused: it ran here once", .timeLimit(.minutes(1)))
    func refusesTaskRerun() async throws {
        let statement = try keys.statement(steps: [append("once")])
        #expect(try await executor.handle(delivery("d-1", sequence: 7, steps: [], statement: statement)).status == .succeeded)
        let again = try await executor.handle(delivery("d-2", sequence: 8, steps: [], statement: statement))
        #expect(again.errorCode == .taskReplayed)
        #expect(dir.lines("runs") == ["once"])
        // The ledger is on disk: a restarted agent still refuses it.
        let restarted = try TrustState(state: state)
        #expect(await restarted.startedKeys().count == 1)
    }

    @Test("an older sequence after a newer one is refused")
    func refusesOlderSequence() async throws {
        try await executor.handle(delivery("d-new", sequence: 10, steps: [append("ten")]))
        let result = try await executor.handle(delivery("d-old", sequence: 9, steps: [append("nine")]))
        #expect(result.errorCode == .bundleReplayed)
        #expect(dir.lines("runs") == ["ten"])
        #expect(try state.highWaterMark() == 10)
    }

    @Test("a bundle signed by an untrusted key is refused, not run, and does not move the mark")
    func refusesUntrusted() async throws {
        let result = try await executor.handle(delivery("d-1", steps: [append("evil")], signer: BundleSigningKey()))
        #expect(result.status == .refused)
        #expect(result.errorCode == .bundleUntrustedKey)
        #expect(!dir.exists("runs"))
        #expect(try state.highWaterMark() == 0)
        #expect(spool.pending().map(\.status) == [.refused])
    }

    @Test("a failing step stops the bundle: later steps do not run")
    func stopsAtFailure() async throws {
        let fail = try commandSpec(CommandStepParams(script: "exit 4"), name: "fail")
        let result = try await executor.handle(delivery("d-1", steps: [fail, append("after")]))
        #expect(result.status == .failed)
        #expect(result.errorCode == .stepFailed)
        #expect(result.steps.count == 1)
        #expect(result.steps.first?.exitCode == 4)
        #expect(result.message?.contains("step 1 (fail)") == true)
        #expect(!dir.exists("runs"))
        // The mark was stored before the first step ran.
        #expect(try state.highWaterMark() == 7)
        #expect(try wire(spool.pending()) == wire([result]))
    }

    @Test("an unknown step kind fails the bundle with step.unknown_kind")
    func unknownKind() async throws {
        let result = try await executor.handle(delivery("d-1", steps: [StepSpec(kind: "teleport", params: .null), append("after")]))
        #expect(result.status == .failed)
        #expect(result.errorCode == .stepUnknownKind)
        #expect(!dir.exists("runs"))
    }

    @Test("the bundle's own timeout stops a long step and reports timed_out")
    func bundleTimeout() async throws {
        let slow = try commandSpec(CommandStepParams(script: "sleep 90"))
        let clock = ContinuousClock()
        let start = clock.now
        let result = try await executor.handle(delivery("d-1", timeout: 1, steps: [slow, append("after")]))
        #expect(clock.now - start < .seconds(45)) // far below the 90 s sleep; generous because the suite shares 2 cores
        #expect(result.status == .timedOut)
        #expect(result.errorCode == .stepTimedOut)
        #expect(result.steps.map(\.status) == [.timedOut])
        #expect(!dir.exists("runs"))
    }

    @Test("a corrupt high-water mark refuses the bundle with the reason and runs nothing")
    func corruptMark() async throws {
        try "not a number".write(toFile: state.sequenceFile, atomically: true, encoding: .utf8)
        let result = try await executor.handle(delivery("d-1", steps: [append("one")]))
        #expect(result.status == .refused)
        #expect(result.errorCode == .storage)
        #expect(result.message?.contains("sequence") == true)
        #expect(!dir.exists("runs"))
        #expect(spool.pending().map(\.deliveryID) == ["d-1"])
    }

    @Test("a check-mode bundle asks each step what it would do and changes nothing")
    func checkMode() async throws {
        let result = try await executor.handle(delivery("d-1", checkMode: true, steps: [append("one"), append("two")]))
        #expect(result.status == .succeeded)
        #expect(result.steps.map(\.status) == [.unknown, .unknown])
        #expect(!dir.exists("runs"))
    }

    @Test("a bundle whose start gate says no is reported cancelled and runs nothing")
    func startGateCancels() async throws {
        let gated = Self.makeExecutor(state: state, spool: spool, trust: trust, cancellations: cancellations, startGate: { $0 != "d-1" })
        let result = try await gated.handle(delivery("d-1", steps: [append("one")]))
        #expect(result.status == .cancelled)
        #expect(result.errorCode == .taskCancelled)
        #expect(!dir.exists("runs"))
        #expect(try wire(spool.pending()) == wire([result]))
        // The sequence was accepted, so the same bundle cannot be replayed later.
        #expect(try state.highWaterMark() == 7)
    }

    @Test("cancelling a running bundle stops its step's process group and skips the rest")
    func cancelWhileRunning() async throws {
        let pidFile = dir.file("pgid")
        let slow = try commandSpec(CommandStepParams(script: "echo $$ > '\(pidFile)'; sleep 90 & sleep 90"), name: "slow")
        let steps = [slow, try append("after")]
        let running = Task { try await executor.handle(delivery("d-1", steps: steps)) }
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: pidFile) {
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: .milliseconds(100))
        let clock = ContinuousClock()
        let start = clock.now
        cancellations.request(["d-1"])
        let result = try await running.value
        // Far less than the 30 s the step would take (generous: the whole suite shares 2 cores).
        #expect(clock.now - start < .seconds(45))
        #expect(result.status == .cancelled)
        #expect(result.errorCode == .taskCancelled)
        #expect(result.steps.map(\.status) == [.interrupted])
        #expect(!dir.exists("runs"))

        let pgid = try #require(pid_t(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        let leftover = await survivors(ofProcessGroup: pgid)
        #expect(leftover.isEmpty, "processes of group \(pgid) still running: \(leftover)")
    }
}
