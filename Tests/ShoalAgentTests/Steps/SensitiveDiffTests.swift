import Foundation
@testable import ShoalAgent
import ShoalCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Check mode never leaks secrets: diffs of a file that is not world-readable, or of a step
/// marked `sensitive: true`, show sizes and SHA-256 only — in check and apply, and in the
/// step result that is stored on the coordinator.
@Suite("Diffs hide secret content")
struct SensitiveDiffTests {
    let dir: TemporaryDirectory
    let secret = "password=hunter2\n"
    init() throws { dir = try TemporaryDirectory() }

    func context(sensitive: Bool = false) -> StepContext {
        StepContext(nodeID: "n-1", bundleID: "b-1", stepIndex: 0, files: [:], outputPrefix: dir.file("out"), remaining: nil, sensitive: sensitive)
    }

    func step(_ kind: String, _ params: [String: JSONValue]) throws -> any Step {
        try StepRegistry.make(StepSpec(kind: kind, name: "t", params: .object(params)))
    }

    func expectHidden(_ diff: String?, hiding texts: [String], hashes: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let diff = diff ?? ""
        #expect(diff.contains("content hidden"), "\(diff)", sourceLocation: sourceLocation)
        for text in texts { #expect(!diff.contains(text), "\(diff)", sourceLocation: sourceLocation) }
        for hash in hashes { #expect(diff.contains("sha256 \(hash)"), "\(diff)", sourceLocation: sourceLocation) }
    }

    @Test("a file written 0600: check and apply show size and SHA-256 of the new content, never the content")
    func privateModeHides() async throws {
        let file = try step("file", ["path": .string(dir.file("db.env")), "content": .string(secret), "mode": .string("0600")])
        let check = await file.check(in: context())
        #expect(check.status == .changed)
        expectHidden(check.diff, hiding: ["hunter2"], hashes: [Data(secret.utf8).sha256Hex])
        #expect(check.diff?.contains("\(secret.utf8.count) bytes") == true)
        let apply = await file.apply(in: context())
        #expect(apply.status == .changed)
        expectHidden(apply.diff, hiding: ["hunter2"], hashes: [Data(secret.utf8).sha256Hex])
        #expect(dir.lines("db.env") == ["password=hunter2"])
    }

    @Test("an existing file without o+r: replacing it hides old and new content, even when the step sets no mode")
    func existingPrivateFileHides() async throws {
        let old = "token=old-secret\n", new = "token=new-secret\n"
        chmod(try dir.write("token", old), 0o640)
        let outcome = await (try step("file", ["path": .string(dir.file("token")), "content": .string(new)])).check(in: context())
        expectHidden(outcome.diff, hiding: ["old-secret", "new-secret"], hashes: [Data(old.utf8).sha256Hex, Data(new.utf8).sha256Hex])
        // A world-readable file still shows a real diff.
        try dir.write("public", "a=1\n")
        let shown = await (try step("file", ["path": .string(dir.file("public")), "content": .string("a=2\n")])).check(in: context())
        #expect(shown.diff?.contains("-a=1\n+a=2") == true)
    }

    @Test("removing a file that is not world-readable hides what it held")
    func removalHides() async throws {
        chmod(try dir.write("key.pem", secret), 0o600)
        let outcome = await (try step("file", ["path": .string(dir.file("key.pem")), "state": .string("absent")])).check(in: context())
        #expect(outcome.status == .changed)
        expectHidden(outcome.diff, hiding: ["hunter2"], hashes: [Data(secret.utf8).sha256Hex])
        #expect(outcome.diff?.contains("removed") == true)
    }

    @Test("sensitive: true hides world-readable file and template diffs through the runner, in check and apply results")
    func sensitiveStepThroughRunner() async throws {
        let steps = [
            StepSpec(kind: "file", name: "f", params: .object(["path": .string(dir.file("app.conf")), "content": .string(secret)]), sensitive: true),
            StepSpec(kind: "template", name: "t", params: .object(["path": .string(dir.file("t.conf")), "template": .string("key={{key}}\n")]), sensitive: true),
            StepSpec(kind: "file", name: "plain", params: .object(["path": .string(dir.file("plain.conf")), "content": .string("visible=1\n")])),
        ]
        for check in [true, false] {
            let runner = StepSequenceRunner(
                steps: steps, checkMode: check, template: TemplateContext(nodeID: "n-1", vars: ["key": .string("s3cr3t-value")]),
                bundleID: "b", outputDirectory: dir.path, timeoutSeconds: 60
            )
            let outcome = await runner.run()
            #expect(outcome.status == .succeeded)
            expectHidden(outcome.steps[0].diff, hiding: ["hunter2"], hashes: [Data(secret.utf8).sha256Hex])
            expectHidden(outcome.steps[1].diff, hiding: ["s3cr3t-value"], hashes: [Data("key=s3cr3t-value\n".utf8).sha256Hex])
            #expect(outcome.steps[2].diff?.contains("+visible=1") == true)
            // What the coordinator stores and shows is built from these results.
            let result = BundleResult(deliveryID: "d", bundleID: "b", taskID: nil, nodeID: "n-1", sequence: nil, status: .succeeded, startedAt: Date(), finishedAt: Date(), steps: outcome.steps)
            let report = CheckGroup.report(of: result)
            #expect(!report.contains("hunter2") && !report.contains("s3cr3t-value"))
        }
        #expect(try PathState.read(dir.file("app.conf")).mode == 0o644)
    }

    @Test("sysctl with sensitive: true hides live values and the file's content")
    func sensitiveSysctl() async throws {
        try dir.write("proc/vm/swappiness", "60\n")
        let spec = StepSpec(kind: SysctlStep.kind, name: "tuning", params: .object(["settings": .object(["vm.swappiness": .string("13")]), "file": .string(dir.file("90.conf"))]))
        let step = try SysctlStep(spec: spec, procRoot: dir.file("proc"))
        let hidden = await step.check(in: context(sensitive: true))
        #expect(hidden.diff?.contains("# live vm.swappiness: value hidden") == true)
        #expect(hidden.diff?.contains("= 13") == false && hidden.diff?.contains("-> 13") == false, "\(hidden.diff ?? "")")
        let shown = await step.check(in: context())
        #expect(shown.diff?.contains("# live vm.swappiness: 60 -> 13") == true)
    }
}
