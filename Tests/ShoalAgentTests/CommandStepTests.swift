import Foundation
import ShoalAgent
import ShoalCore
import ShoalTestSupport
import Testing

@Suite("Command step")
struct CommandStepTests {
    let dir: TemporaryDirectory

    init() throws { dir = try TemporaryDirectory() }

    func context(remaining: Duration? = nil) -> StepContext {
        StepContext(nodeID: "n-1", bundleID: "b-1", stepIndex: 0, files: [:], outputPrefix: dir.file("step-0"), remaining: remaining)
    }

    func apply(_ params: CommandStepParams, remaining: Duration? = nil) async throws -> StepOutcome {
        try await CommandStep(spec: commandSpec(params)).apply(in: context(remaining: remaining))
    }

    @Test("an argv command that exits 0 is changed, with its output captured and kept on disk")
    func argvEcho() async throws {
        let outcome = try await apply(CommandStepParams(argv: ["/bin/echo", "hello shoal"]))
        #expect(outcome.status == .changed)
        #expect(outcome.exitCode == 0)
        #expect(outcome.errorCode == nil)
        #expect(outcome.stdout.head.contains("hello shoal"))
        #expect(outcome.stdout.totalBytes == "hello shoal\n".utf8.count)
        #expect(dir.lines("step-0.stdout") == ["hello shoal"])
    }

    @Test("argv[0] given as a bare program name is found on PATH")
    func argvBareName() async throws {
        let outcome = try await apply(CommandStepParams(argv: ["echo", "hello shoal"]))
        #expect(outcome.status == .changed)
        #expect(outcome.stdout.head.contains("hello shoal"))
    }

    @Test("a script that exits 3 fails with exit code 3 and step.failed, stderr captured")
    func scriptFails() async throws {
        let outcome = try await apply(CommandStepParams(script: "echo oops >&2; exit 3"))
        #expect(outcome.status == .failed)
        #expect(outcome.exitCode == 3)
        #expect(outcome.errorCode == .stepFailed)
        #expect(outcome.message?.contains("3") == true)
        #expect(outcome.stderr.head.contains("oops"))
    }

    @Test("a command killed by a signal fails and says which signal")
    func killedBySignal() async throws {
        let outcome = try await apply(CommandStepParams(script: "kill -9 $$"))
        #expect(outcome.status == .failed)
        #expect(outcome.errorCode == .stepFailed)
        #expect(outcome.message == "killed by signal 9")
    }

    @Test("a program that does not exist is step.launch_failed")
    func launchFailure() async throws {
        let outcome = try await apply(CommandStepParams(argv: [dir.file("no-such-program")]))
        #expect(outcome.status == .failed)
        #expect(outcome.errorCode == .stepLaunchFailed)
    }

    @Test("env and workingDirectory reach the command")
    func environmentAndDirectory() async throws {
        let work = try dir.write("work/.keep", "")
        let outcome = try await apply(CommandStepParams(
            script: "echo \"$SHOAL_TEST_VALUE\"; pwd", env: ["SHOAL_TEST_VALUE": "from-env"],
            workingDirectory: (work as NSString).deletingLastPathComponent
        ))
        #expect(outcome.status == .changed)
        #expect(outcome.stdout.head == "from-env\n" + dir.file("work") + "\n")
    }

    @Test("the command learns its node and bundle from SHOAL_NODE_ID and SHOAL_BUNDLE_ID")
    func shoalEnvironment() async throws {
        let outcome = try await apply(CommandStepParams(script: "echo \"$SHOAL_NODE_ID $SHOAL_BUNDLE_ID\""))
        #expect(outcome.stdout.head == "n-1 b-1\n")
    }

    @Test("an existing 'creates' path skips the command: unchanged, and it did not run")
    func createsSkips() async throws {
        let existing = try dir.write("already-there", "")
        let outcome = try await apply(CommandStepParams(script: "touch '\(dir.file("ran"))'", creates: existing))
        #expect(outcome.status == .unchanged)
        #expect(outcome.exitCode == nil)
        #expect(!dir.exists("ran"))
    }

    @Test("a missing 'creates' path lets the command run")
    func createsRuns() async throws {
        let outcome = try await apply(CommandStepParams(script: "touch '\(dir.file("ran"))'", creates: dir.file("not-there")))
        #expect(outcome.status == .changed)
        #expect(dir.exists("ran"))
    }

    @Test("'unless' that succeeds skips the command; one that fails lets it run")
    func unlessGuard() async throws {
        let skipped = try await apply(CommandStepParams(script: "touch '\(dir.file("ran"))'", unless: "true"))
        #expect(skipped.status == .unchanged)
        #expect(!dir.exists("ran"))
        let ran = try await apply(CommandStepParams(script: "touch '\(dir.file("ran"))'", unless: "false"))
        #expect(ran.status == .changed)
        #expect(dir.exists("ran"))
    }

    @Test("a timeout stops the command and every process of its group")
    func timeoutKillsGroup() async throws {
        let pidFile = dir.file("pgid")
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = try await apply(CommandStepParams(script: "echo $$ > '\(pidFile)'; sleep 90 & sleep 90", timeoutSeconds: 1))
        let elapsed = clock.now - start
        #expect(outcome.status == .timedOut)
        #expect(outcome.errorCode == .stepTimedOut)
        #expect(elapsed < .seconds(45)) // far below the 90 s sleep; generous because the suite shares 2 cores

        // The shell runs in a session of its own, so its pid is the process group id.
        let text = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let pgid = try #require(pid_t(text))
        let leftover = await survivors(ofProcessGroup: pgid)
        #expect(leftover.isEmpty, "processes of group \(pgid) still running: \(leftover)")
    }

    @Test("cancelling the task interrupts the step and stops its whole process group")
    func cancellation() async throws {
        let pidFile = dir.file("pgid")
        let step = try CommandStep(spec: commandSpec(CommandStepParams(script: "echo $$ > '\(pidFile)'; sleep 90 & sleep 90")))
        let context = context()
        let running = Task { await step.apply(in: context) }
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: pidFile) {
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: .milliseconds(100))
        let clock = ContinuousClock()
        let start = clock.now
        running.cancel()
        let outcome = await running.value
        #expect(clock.now - start < .seconds(45)) // far below the 90 s sleep; generous because the suite shares 2 cores
        #expect(outcome.status == .interrupted)
        #expect(outcome.errorCode == .taskCancelled)

        let pgid = try #require(pid_t(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        let leftover = await survivors(ofProcessGroup: pgid)
        #expect(leftover.isEmpty, "processes of group \(pgid) still running: \(leftover)")
    }

    @Test("the bundle's remaining time caps a step without its own timeout")
    func remainingCapsTimeout() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = try await apply(CommandStepParams(script: "sleep 90"), remaining: .seconds(1))
        #expect(outcome.status == .timedOut)
        #expect(clock.now - start < .seconds(45)) // far below the 90 s sleep; generous because the suite shares 2 cores
    }

    @Test("check mode reports unknown and does not run the command")
    func checkMode() async throws {
        let step = try CommandStep(spec: commandSpec(CommandStepParams(script: "touch '\(dir.file("ran"))'")))
        let outcome = await step.check(in: context())
        #expect(outcome.status == .unknown)
        #expect(!dir.exists("ran"))
        let guarded = try CommandStep(spec: commandSpec(CommandStepParams(script: "touch '\(dir.file("ran"))'", unless: "true")))
        #expect(await guarded.check(in: context()).status == .unchanged)
        #expect(!dir.exists("ran"))
    }

    @Test("parameters without exactly one of argv and script are step.invalid", arguments: [
        CommandStepParams(),
        CommandStepParams(argv: ["/bin/true"], script: "true"),
        CommandStepParams(argv: []),
        CommandStepParams(script: ""),
        CommandStepParams(argv: ["/bin/true"], timeoutSeconds: 0),
        CommandStepParams(script: "true", timeoutSeconds: -5),
    ])
    func invalidParams(params: CommandStepParams) throws {
        let spec = try commandSpec(params, name: "bad one")
        let error = #expect(throws: ShoalError.self) { try CommandStep(spec: spec) }
        #expect(error?.code == .stepInvalid)
        #expect(error?.message.contains("bad one") == true)
    }

    @Test("parameters of the wrong JSON type are step.invalid")
    func wrongParamTypes() {
        let spec = StepSpec(kind: "command", params: .object(["argv": .string("/bin/true")]))
        let error = #expect(throws: ShoalError.self) { try CommandStep(spec: spec) }
        #expect(error?.code == .stepInvalid)
    }

    @Test("the registry makes command steps and refuses unknown kinds")
    func registry() throws {
        #expect(try StepRegistry.make(commandSpec(CommandStepParams(argv: ["/bin/true"]))) is CommandStep)
        let error = #expect(throws: ShoalError.self) { try StepRegistry.make(StepSpec(kind: "teleport", params: .object([:]))) }
        #expect(error?.code == .stepUnknownKind)
        #expect(error?.message.contains("teleport") == true)
    }
}
