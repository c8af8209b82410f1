import Foundation
import ShoalCore
import Testing

@Suite("Task files: parsing and compiling")
struct TaskDocumentTests {
    let dir: TemporaryDirectory
    init() throws { dir = try TemporaryDirectory() }

    static let sample = """
        name: web config
        timeout: 10m
        vars:
          port: 8080
          release: 22.10
          mode: 0640
        steps:
          - name: config file
            file: { path: /etc/web.conf, content: "port={{port}}\\n", mode: 0644 }
            notify: restart web
            when: role=web
          - command: systemctl daemon-reload
          - name: binary
            file: { path: /usr/local/bin/web, source: "{{binary}}", mode: "0755" }
        handlers:
          - name: restart web
            systemd: { unit: web, state: restarted }
        """

    @Test("a task file parses: steps keep order, kind params, when, notify; vars keep what the author meant")
    func parses() throws {
        let document = try TaskDocument(yaml: Self.sample, source: "web.yaml")
        #expect(document.name == "web config")
        #expect(document.timeoutSeconds == 600)
        #expect(document.steps.map(\.kind) == ["file", "command", "file"])
        #expect(document.steps[0].when == "role=web")
        #expect(document.steps[0].notify == ["restart web"])
        #expect(document.handlers.map(\.name) == ["restart web"])
        // `command: TEXT` is shorthand for a script.
        #expect(document.steps[1].params == .object(["script": .string("systemctl daemon-reload")]))
        #expect(document.vars["port"] == .number(8080))
        // 22.10 as a float would print 22.1; 0640 as YAML 1.1 octal would be 416.
        #expect(document.vars["release"] == .string("22.10"))
        #expect(document.vars["mode"] == .string("0640"))
        guard case .object(let params) = document.steps[0].params else { Issue.record("params not an object"); return }
        #expect(params["mode"] == .string("0644"))
    }

    @Test("sensitive: true is a step field beside name, when and notify, and travels in the compiled step")
    func sensitiveField() throws {
        let yaml = "name: x\nsteps:\n  - name: secret\n    file: {path: /etc/app.env, content: 'k=v'}\n    sensitive: true\n  - command: ls\n    sensitive: false\n  - command: ls\n"
        let document = try TaskDocument(yaml: yaml, source: "x.yaml")
        #expect(document.steps.map(\.sensitive) == [true, false, nil])
        #expect(document.steps[0].kind == "file")
        let task = try TaskCompiler.compile(document, baseDirectory: dir.path)
        #expect(task.steps[0].sensitive == true)
        let wire = try WireCoding.decode(StepSpec.self, from: WireCoding.encode(task.steps[0]))
        #expect(wire.sensitive == true)
    }

    @Test("compiling reads source files relative to the task file, carries them by SHA-256, and applies --var overrides")
    func compiles() throws {
        try dir.write("web-binary", "#!/bin/sh\necho web\n")
        let document = try TaskDocument(yaml: Self.sample, source: "web.yaml")
        // A path from --var is relative to where the operator is.
        let task = try TaskCompiler.compile(document, baseDirectory: "/nonexistent", overrides: ["binary": .string("web-binary"), "port": .string("9000")], workingDirectory: dir.path)
        let sha = Data("#!/bin/sh\necho web\n".utf8).sha256Hex
        #expect(task.files.map(\.sha256) == [sha])
        #expect(task.fileContents[sha] == Data("#!/bin/sh\necho web\n".utf8))
        guard case .object(let params) = task.steps[2].params else { Issue.record("params not an object"); return }
        #expect(params["source"] == nil)
        #expect(params["sourceSHA256"] == .string(sha))
        #expect(task.vars["port"] == .string("9000"))
    }

    @Test("a source naming an unset variable or a missing file is a clear error")
    func sourceErrors() throws {
        let document = try TaskDocument(yaml: Self.sample, source: "web.yaml")
        let unset = #expect(throws: ShoalError.self) { try TaskCompiler.compile(document, baseDirectory: dir.path) }
        #expect(unset?.code == .stepUndefinedVariable)
        #expect(unset?.message.contains("--var binary=") == true)
        let missing = #expect(throws: ShoalError.self) {
            try TaskCompiler.compile(document, baseDirectory: "/nonexistent", overrides: ["binary": .string("nope")], workingDirectory: dir.path)
        }
        #expect(missing?.code == .taskFileMissing)
        #expect(missing?.message.contains("\(dir.path)/nope") == true)
        let undefined = #expect(throws: ShoalError.self) {
            try TaskCompiler.compile(TaskDocument(yaml: "name: x\nsteps:\n  - file: {path: /x, content: '{{greeting}} {{facts.hostname}}'}\n", source: "x"), baseDirectory: dir.path)
        }
        #expect(undefined?.code == .stepUndefinedVariable)
        #expect(undefined?.message.contains("--var greeting=") == true)
    }

    @Test("bad task files name the problem", arguments: [
        ("steps: []", "'name' is required"),
        ("name: x\nsteps: []", "at least one step"),
        ("name: x\nsteps:\n  - bogus: {}", "unknown step kind 'bogus'"),
        ("name: x\nsteps:\n  - file: {}\n    apt: {}", "exactly one step kind"),
        ("name: x\nsteps:\n  - command: ls\n    when: 'gpu.count >'", "not a valid condition"),
        ("name: x\nsteps:\n  - command: ls\n    notify: nobody", "no handler has that name"),
        ("name: x\nsurprise: 1\nsteps:\n  - command: ls", "unknown top-level key 'surprise'"),
        ("name: [unclosed", "not valid YAML"),
        ("name: x\nsteps:\n  - command: ls\n    sensitive: 'yes'", "'sensitive' must be true or false"),
        ("name: x\nsteps:\n  - command: ls\n    sensitive: [true]", "'sensitive' must be true or false"),
    ])
    func badFiles(yaml: String, expected: String) throws {
        let error = #expect(throws: ShoalError.self) {
            let document = try TaskDocument(yaml: yaml, source: "t.yaml")
            _ = try TaskCompiler.compile(document, baseDirectory: dir.path)
        }
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "no error")")
    }

    @Test("rendered text fills number fields and YAML numbers fill text fields")
    func coercion() throws {
        struct Params: Codable { var port: String; var count: Int; var enabled: Bool; var items: [Int] }
        let spec = StepSpec(kind: "x", params: .object([
            "port": .number(22), "count": .string("3"), "enabled": .string("true"), "items": .array([.string("1"), .number(2)]),
        ]))
        let params = try spec.decodeParams(Params.self)
        #expect(params.port == "22")
        #expect(params.count == 3)
        #expect(params.enabled)
        #expect(params.items == [1, 2])
        let bad = StepSpec(kind: "x", params: .object(["port": .string("22"), "count": .string("three"), "enabled": .bool(true), "items": .array([])]))
        let error = #expect(throws: ShoalError.self) { try bad.decodeParams(Params.self) }
        #expect(error?.code == .stepInvalid)
        // `port: no` in YAML is a boolean: refused with advice, never turned into "false".
        let boolean = StepSpec(kind: "x", params: .object(["port": .bool(false), "count": .number(1), "enabled": .bool(true), "items": .array([])]))
        let refused = #expect(throws: ShoalError.self) { try boolean.decodeParams(Params.self) }
        #expect(refused?.code == .stepInvalid)
        #expect(refused?.message.contains("quote it") == true)
    }
}

@Suite("Unified diff")
struct UnifiedDiffTests {
    @Test("equal texts give no diff")
    func equal() {
        #expect(UnifiedDiff.make(old: "a\nb\n", new: "a\nb\n", oldLabel: "x", newLabel: "x").isEmpty)
    }

    @Test("a changed line gives one hunk with context, deletions before insertions")
    func changedLine() {
        let old = (1...10).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let new = old.replacingOccurrences(of: "line 5\n", with: "line five\n")
        let diff = UnifiedDiff.make(old: old, new: new, oldLabel: "/etc/a", newLabel: "/etc/a")
        #expect(diff == """
            --- /etc/a
            +++ /etc/a
            @@ -2,7 +2,7 @@
             line 2
             line 3
             line 4
            -line 5
            +line five
             line 6
             line 7
             line 8

            """)
    }

    @Test("a new file is all additions from /dev/null; far-apart changes make two hunks")
    func newFileAndHunks() {
        #expect(UnifiedDiff.make(old: "", new: "a\nb\n", oldLabel: "/dev/null", newLabel: "/f") == "--- /dev/null\n+++ /f\n@@ -0,0 +1,2 @@\n+a\n+b\n")
        let old = (1...30).map { "l\($0)" }.joined(separator: "\n") + "\n"
        let new = old.replacingOccurrences(of: "l2\n", with: "L2\n").replacingOccurrences(of: "l28\n", with: "L28\n")
        let diff = UnifiedDiff.make(old: old, new: new, oldLabel: "f", newLabel: "f")
        #expect(diff.components(separatedBy: "@@ -").count == 3)
        #expect(diff.contains("@@ -1,5 +1,5 @@"))
        #expect(diff.contains("@@ -25,6 +25,6 @@"))
    }

    @Test("a difference only in the final newline is still reported")
    func trailingNewline() {
        #expect(UnifiedDiff.make(old: "a\n", new: "a", oldLabel: "f", newLabel: "f").contains("newline"))
    }
}
