import Foundation
import ShoalAgent
import ShoalCore
import Testing

/// file, directory and template steps on real files in a throwaway folder: check changes
/// nothing and shows the diff, apply changes, a second apply is unchanged.
@Suite("File, directory and template steps")
struct FileStepTests {
    let dir: TemporaryDirectory
    init() throws { dir = try TemporaryDirectory() }

    func context(files: [String: Data] = [:], template: TemplateContext? = nil) -> StepContext {
        StepContext(nodeID: "n-1", bundleID: "b-1", stepIndex: 0, files: files, outputPrefix: dir.file("out"), remaining: nil, template: template)
    }

    func step(_ kind: String, _ params: JSONValue) throws -> any Step {
        try StepRegistry.make(StepSpec(kind: kind, name: "t", params: params))
    }

    func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test("file: check shows the diff and writes nothing; apply writes content and mode; again is unchanged")
    func fileLifecycle() async throws {
        let path = dir.file("app.conf")
        let file = try step("file", .object(["path": .string(path), "content": .string("port=1\n"), "mode": .string("0600")]))
        let check = await file.check(in: context())
        #expect(check.status == .changed)
        // 0600 is not world-readable: the diff shows size and hash, not the content.
        #expect(check.diff?.contains("content hidden") == true && check.diff?.contains("sha256 \(Data("port=1\n".utf8).sha256Hex)") == true)
        #expect(check.diff?.contains("port=1") == false)
        #expect(!dir.exists("app.conf"))
        let apply = await file.apply(in: context())
        #expect(apply.status == .changed)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "port=1\n")
        #expect(try mode(path) == 0o600)
        #expect(await file.apply(in: context()).status == .unchanged)
        #expect(await file.check(in: context()).status == .unchanged)

        let changed = try step("file", .object(["path": .string(path), "content": .string("port=2\n")]))
        let diff = await changed.check(in: context())
        #expect(diff.diff?.contains("7 bytes (sha256 \(Data("port=1\n".utf8).sha256Hex)) -> 7 bytes (sha256 \(Data("port=2\n".utf8).sha256Hex))") == true, "\(diff.diff ?? "")")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "port=1\n")
        #expect(await changed.apply(in: context()).status == .changed)
        // Content changed, mode kept.
        #expect(try mode(path) == 0o600)
    }

    @Test("file: a mode-only change is reported as such")
    func modeOnly() async throws {
        let path = try dir.write("m", "x\n")
        let file = try step("file", .object(["path": .string(path), "mode": .number(640)]))
        let check = await file.check(in: context())
        #expect(check.status == .changed)
        #expect(check.message?.contains("0644 -> 0640") == true || check.diff?.contains("-> 0640") == true)
        #expect(await file.apply(in: context()).status == .changed)
        #expect(try mode(path) == 0o640)
        #expect(await file.apply(in: context()).status == .unchanged)
    }

    @Test("file: content from the bundle by SHA-256; a missing or corrupt file is bundle.file_missing and nothing is written")
    func bundleFiles() async throws {
        let data = Data("binary\0data".utf8)
        let sha = data.sha256Hex
        let path = dir.file("bin")
        let file = try step("file", .object(["path": .string(path), "sourceSHA256": .string(sha)]))
        #expect(await file.apply(in: context(files: [sha: data])).status == .changed)
        #expect(FileManager.default.contents(atPath: path) == data)
        let other = dir.file("bin2")
        let missing = try step("file", .object(["path": .string(other), "sourceSHA256": .string(String(repeating: "a", count: 64))]))
        let outcome = await missing.apply(in: context(files: [sha: data]))
        #expect(outcome.status == .failed)
        #expect(outcome.errorCode == .bundleFileMissing)
        let corrupt = await file.apply(in: context(files: [sha: Data("tampered".utf8)]))
        #expect(corrupt.errorCode == .bundleFileMissing)
        #expect(!dir.exists("bin2"))
    }

    @Test("file: absent removes, then is unchanged; an unknown owner fails before writing; a missing folder fails apply")
    func absentAndErrors() async throws {
        let path = try dir.write("gone", "bye\n")
        let absent = try step("file", .object(["path": .string(path), "state": .string("absent")]))
        let check = await absent.check(in: context())
        #expect(check.status == .changed)
        #expect(check.diff?.contains("-bye") == true)
        #expect(dir.exists("gone"))
        #expect(await absent.apply(in: context()).status == .changed)
        #expect(!dir.exists("gone"))
        #expect(await absent.apply(in: context()).status == .unchanged)

        let owned = try step("file", .object(["path": .string(dir.file("o")), "content": .string("x"), "owner": .string("no-such-user-shoal")]))
        let ownerOutcome = await owned.apply(in: context())
        #expect(ownerOutcome.errorCode == .fileUnknownOwner)
        #expect(!dir.exists("o"))

        let deep = try step("file", .object(["path": .string(dir.file("a/b/c")), "content": .string("x")]))
        #expect(await deep.check(in: context()).status == .changed)
        let deepOutcome = await deep.apply(in: context())
        #expect(deepOutcome.errorCode == .fileInvalidTarget)
        #expect(deepOutcome.message?.contains("directory step") == true)
        #expect(throws: ShoalError.self) { try step("file", .object(["path": .string("relative/path")])) }
    }

    @Test("directory: created with parents and mode, idempotent, absent removes it; system folders are refused")
    func directory() async throws {
        let path = dir.file("x/y")
        let make = try step("directory", .object(["path": .string(path), "mode": .string("0750")]))
        #expect(await make.check(in: context()).status == .changed)
        #expect(!dir.exists("x"))
        #expect(await make.apply(in: context()).status == .changed)
        #expect(try mode(path) == 0o750)
        #expect(await make.apply(in: context()).status == .unchanged)
        let remove = try step("directory", .object(["path": .string(dir.file("x")), "state": .string("absent")]))
        #expect(await remove.apply(in: context()).status == .changed)
        #expect(!dir.exists("x"))
        let etc = await (try step("directory", .object(["path": .string("/etc/"), "state": .string("absent")]))).apply(in: context())
        #expect(etc.errorCode == .fileInvalidTarget)
        #expect(FileManager.default.fileExists(atPath: "/etc/passwd"))
    }

    @Test("template: rendered from vars, facts and labels, without HTML escaping; an undefined name fails and writes nothing")
    func template() async throws {
        let facts = FactsCollector().collect()
        let context = context(template: TemplateContext(nodeID: "n-1", vars: ["port": .number(8080), "users": .array([.string("a&b"), .string("c")])], labels: ["role": "web"], facts: facts))
        let path = dir.file("t.conf")
        let text = "port={{port}}\nhost={{facts.hostname}}\nrole={{labels.role}}\n{{#users}}user={{.}}\n{{/users}}"
        let template = try step("template", .object(["path": .string(path), "template": .string(text)]))
        #expect(await template.apply(in: context).status == .changed)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "port=8080\nhost=\(facts.hostname)\nrole=web\nuser=a&b\nuser=c\n")
        #expect(await template.apply(in: context).status == .unchanged)

        let undefined = try step("template", .object(["path": .string(dir.file("u.conf")), "template": .string("x={{nope}}\n")]))
        let outcome = await undefined.apply(in: context)
        #expect(outcome.errorCode == .stepUndefinedVariable)
        #expect(outcome.message?.contains("nope") == true)
        #expect(!dir.exists("u.conf"))
    }
}
