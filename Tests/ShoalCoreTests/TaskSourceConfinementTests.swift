import Foundation
import ShoalCore
import Testing

/// A task file may carry only files from its own folder; a path the operator typed may reach
/// further; the fleet's data directory is never read. Real files and real symlinks.
@Suite("Task files: source confinement")
struct TaskSourceConfinementTests {
    let root: TemporaryDirectory
    /// The task file's folder, inside `root`; `root/data` plays the fleet's data directory.
    let tasks: String
    let data: String
    static let key = "-----BEGIN PRIVATE KEY-----\nsigning key bytes\n"

    init() throws {
        root = try TemporaryDirectory()
        tasks = root.path + "/tasks"
        data = root.path + "/data"
        try FileManager.default.createDirectory(atPath: tasks + "/files", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try Self.key.write(toFile: data + "/bundle-signing.key", atomically: true, encoding: .utf8)
        try "outside\n".write(toFile: root.path + "/outside.txt", atomically: true, encoding: .utf8)
        try "inside\n".write(toFile: tasks + "/files/inside.txt", atomically: true, encoding: .utf8)
    }

    func compile(_ source: String, vars: String = "", overrides: [String: JSONValue] = [:], workingDirectory: String? = nil) throws -> CompiledTask {
        let yaml = "name: t\n\(vars)steps:\n  - name: carried\n    file: { path: /tmp/x, source: \"\(source)\" }\n"
        let document = try TaskDocument(yaml: yaml, source: "evil.yaml")
        return try TaskCompiler.compile(
            document, baseDirectory: tasks, overrides: overrides, workingDirectory: workingDirectory ?? root.path,
            protectedPaths: [data], fileName: tasks + "/evil.yaml"
        )
    }

    func refusal(_ source: String, vars: String = "", overrides: [String: JSONValue] = [:]) -> ShoalError? {
        #expect(throws: ShoalError.self) { try compile(source, vars: vars, overrides: overrides) }
    }

    @Test("a relative path inside the folder is carried")
    func insideIsCarried() throws {
        let task = try compile("files/inside.txt")
        #expect(task.files.map(\.content) == [Data("inside\n".utf8).base64EncodedString()])
        // `..` that stays inside is fine.
        #expect(try compile("files/../files/inside.txt").files.count == 1)
    }

    @Test("an absolute path in the task file is refused, naming file, step and rule")
    func absoluteRefused() {
        let error = refusal(root.path + "/outside.txt")
        #expect(error?.code == .taskInvalid)
        #expect(error?.message.contains("evil.yaml") == true)
        #expect(error?.message.contains("step 1 (carried)") == true)
        #expect(error?.message.contains("absolute path") == true)
    }

    @Test("'..' that leaves the folder is refused, even for a file that does not exist")
    func dotDotRefused() {
        for source in ["../outside.txt", "../data/bundle-signing.key", "files/../../outside.txt", "../no-such-file"] {
            let error = refusal(source)
            #expect(error?.code == .taskInvalid, "\(source)")
            #expect(error?.message.contains("'..'") == true, "\(source)")
        }
    }

    @Test("a symlink anywhere in the path that points outside is refused")
    func symlinkOutsideRefused() throws {
        // The last component, and a folder on the way.
        try FileManager.default.createSymbolicLink(atPath: tasks + "/key", withDestinationPath: data + "/bundle-signing.key")
        try FileManager.default.createSymbolicLink(atPath: tasks + "/up", withDestinationPath: root.path)
        for source in ["key", "up/outside.txt", "up/data/bundle-signing.key"] {
            let error = refusal(source)
            #expect(error?.code == .taskInvalid, "\(source)")
            #expect(error?.message.contains("outside the task file's folder") == true, "\(source): \(error?.message ?? "")")
            #expect(error?.message.contains("signing key bytes") == false)
        }
    }

    @Test("a symlink inside the folder that points inside is fine")
    func symlinkInsideAllowed() throws {
        try FileManager.default.createSymbolicLink(atPath: tasks + "/alias.txt", withDestinationPath: "files/inside.txt")
        try FileManager.default.createSymbolicLink(atPath: tasks + "/dir", withDestinationPath: tasks + "/files")
        #expect(try compile("alias.txt").files.first?.sha256 == Data("inside\n".utf8).sha256Hex)
        #expect(try compile("dir/inside.txt").files.first?.sha256 == Data("inside\n".utf8).sha256Hex)
    }

    @Test("a path from the file's own vars: defaults is confined like a literal one")
    func fileDefaultConfined() throws {
        let error = refusal("{{binary}}", vars: "vars:\n  binary: ../outside.txt\n")
        #expect(error?.code == .taskInvalid)
        #expect(error?.message.contains("'..'") == true)
        let absolute = refusal("{{binary}}", vars: "vars:\n  binary: \(root.path)/outside.txt\n")
        #expect(absolute?.message.contains("absolute path") == true)
        // Inside, a default works, relative to the task file's folder (not the current one).
        #expect(try compile("{{binary}}", vars: "vars:\n  binary: files/inside.txt\n").files.count == 1)
        // A command-line value mixed into a longer path is still the file's path, confined.
        let mixed = refusal("files/{{name}}", overrides: ["name": .string("../../outside.txt")])
        #expect(mixed?.message.contains("'..'") == true)
    }

    @Test("a whole source the operator set with --var may be anywhere, relative to the current folder")
    func commandLineAllowed() throws {
        let relative = try compile("{{binary}}", vars: "vars:\n  binary: files/inside.txt\n", overrides: ["binary": .string("outside.txt")])
        #expect(relative.files.first?.sha256 == Data("outside\n".utf8).sha256Hex)
        let absolute = try compile("{{ binary }}", overrides: ["binary": .string(root.path + "/outside.txt")], workingDirectory: "/")
        #expect(absolute.files.first?.sha256 == Data("outside\n".utf8).sha256Hex)
    }

    @Test("the data directory is never read: not by --var, not through a symlink, not when it is inside the task folder")
    func dataDirectoryRefused() throws {
        let byVar = refusal("{{binary}}", overrides: ["binary": .string(data + "/bundle-signing.key")])
        #expect(byVar?.code == .taskInvalid)
        #expect(byVar?.message.contains("data directory") == true)
        let relativeVar = refusal("{{binary}}", overrides: ["binary": .string("data/../data/bundle-signing.key")])
        #expect(relativeVar?.message.contains("data directory") == true)
        // A task file in the folder above the data directory still cannot carry it.
        let document = try TaskDocument(yaml: "name: t\nsteps:\n  - file: { path: /x, source: data/bundle-signing.key }\n", source: "t.yaml")
        let above = #expect(throws: ShoalError.self) {
            try TaskCompiler.compile(document, baseDirectory: root.path, protectedPaths: [data], fileName: "t.yaml")
        }
        #expect(above?.code == .taskInvalid)
        #expect(above?.message.contains("data directory") == true)
        #expect(above?.message.contains("signing key bytes") == false)
    }

    @Test("a folder, a FIFO or a device is not a regular file and is refused")
    func notRegularRefused() throws {
        #expect(refusal("files")?.message.contains("not a regular file") == true)
        #expect(mkfifo(tasks + "/pipe", 0o600) == 0)
        #expect(refusal("pipe")?.message.contains("not a regular file") == true)
        #expect(refusal("{{dev}}", overrides: ["dev": .string("/dev/zero")])?.message.contains("not a regular file") == true)
    }

    @Test("a missing file inside the folder is task.file_missing, as before")
    func missingFile() {
        #expect(refusal("files/nope")?.code == .taskFileMissing)
    }
}
