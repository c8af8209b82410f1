import Foundation
import FuzzSupport
import ShoalCore

/// Task files as `task run --file` and `agent apply` read them: YAML parsed into a document,
/// then compiled (variables checked, `source:` files read) in a folder of their own, next to
/// a folder the task must never reach. The compiler confines sources to the task's folder;
/// this harness fails if anything from outside it is ever carried.
enum TaskFileHarness {
    /// `root/task` is the task file's folder; `root/outside/secret` must never be carried, and
    /// symlinks in the task folder point at it. `root` lives in $TMPDIR, which scripts/fuzz.sh
    /// points at a folder it removes afterwards.
    static let root = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-fuzz-task-\(getpid())").path
    static let folder = root + "/task"
    /// A string literal, not `Data`: a `Data` kept in a global holds its storage in a packed
    /// enum whose pointer LeakSanitizer cannot see, so libFuzzer reported it as a leak.
    static let secret = "SECRET OUTSIDE THE TASK FOLDER\n"
    static let contents: [String: String] = [
        "app.conf": "port={{port}}\n", "motd": "hello\n", "files/web.service": "[Service]\nExecStart=/bin/true\n",
        "files/app.pem": "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", "build/app": "#!/bin/sh\n",
        "build/exporter": "#!/bin/sh\n", "units/exporter.service": "[Service]\nExecStart=/usr/local/bin/exporter\n",
    ]
    static let made: Bool = {
        let manager = FileManager.default
        for path in [folder + "/files", folder + "/build", folder + "/units", root + "/outside"] {
            try? manager.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        for (name, text) in contents {
            _ = manager.createFile(atPath: folder + "/" + name, contents: Data(text.utf8))
        }
        _ = manager.createFile(atPath: root + "/outside/secret", contents: Data(secret.utf8))
        let links = ["link-in": "app.conf", "link-out": "../outside/secret", "dir-out": "../outside", "abs-out": root + "/outside/secret"]
        for (name, target) in links {
            try? manager.createSymbolicLink(atPath: folder + "/" + name, withDestinationPath: target)
        }
        return true
    }()

    static func run(_ data: Data) {
        guard made else { return }
        let text = String(decoding: data, as: UTF8.self)
        guard let document = try? TaskDocument(yaml: text, source: "fuzz.yaml"), staysNearFolder(document),
              let compiled = try? TaskCompiler.compile(document, baseDirectory: folder, workingDirectory: folder) else { return }
        let allowed = Set(contents.values.map { Data($0.utf8) })
        for file in compiled.files {
            guard let bytes = Data(base64Encoded: file.content), allowed.contains(bytes) else {
                fatalError("a task file carried a file from outside its folder:\n\(text)")
            }
        }
    }

    /// Whether every `source:` stays lexically within `root`, so that even a compiler that
    /// failed to confine it could read nothing but this harness's own files: no absolute path,
    /// no `..` above `root`, and variables spliced into a source plain names.
    static func staysNearFolder(_ document: TaskDocument) -> Bool {
        let sources = (document.steps + document.handlers).compactMap { step -> String? in
            guard TaskCompiler.fileKinds.contains(step.kind), case .object(let params) = step.params,
                  case .string(let source)? = params["source"] else { return nil }
            return source
        }
        let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
        let plainValues = document.vars.values.allSatisfy { value in
            value.text.map { !$0.isEmpty && $0.allSatisfy(plain.contains) } ?? true
        }
        return sources.allSatisfy { source in
            let bytes = Array(source.utf8)
            guard bytes.first != UInt8(ascii: "/"), !source.contains("{{") || plainValues else { return false }
            // Depth below the task folder; `root` is -1, and a symlink adds at most one more.
            var depth = 0
            for component in bytes.split(separator: UInt8(ascii: "/")) {
                if component.elementsEqual("..".utf8) { depth -= 1 } else if !component.elementsEqual(".".utf8) { depth += 1 }
                if depth < -1 { return false }
            }
            return true
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    TaskFileHarness.run(FuzzInput.data(bytes, count))
    return 0
}
