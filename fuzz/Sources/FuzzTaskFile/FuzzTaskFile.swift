import Foundation
import FuzzSupport
import ShoalCore

/// Task files as `task run --file` and `agent apply` read them: YAML parsed into a document,
/// then compiled (variables checked, `source:` files read) against a folder of its own.
enum TaskFileHarness {
    /// The only folder a compile may read, with the files the seed corpus names. It lives in
    /// $TMPDIR, which scripts/fuzz.sh points at a folder it removes afterwards.
    static let base: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-fuzz-task-\(getpid())").path
        let files = [
            "app.conf": "port={{port}}\n", "motd": "hello\n", "files/web.service": "[Service]\nExecStart=/bin/true\n",
            "files/app.pem": "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", "build/app": "#!/bin/sh\n",
            "build/exporter": "#!/bin/sh\n", "units/exporter.service": "[Service]\nExecStart=/usr/local/bin/exporter\n",
        ]
        for folder in ["files", "build", "units"] {
            try? FileManager.default.createDirectory(atPath: path + "/" + folder, withIntermediateDirectories: true)
        }
        for (name, text) in files {
            _ = FileManager.default.createFile(atPath: path + "/" + name, contents: Data(text.utf8))
        }
        return path
    }()

    static func run(_ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        guard let document = try? TaskDocument(yaml: text, source: "fuzz.yaml"), readsOnlyBase(document) else { return }
        _ = try? TaskCompiler.compile(document, baseDirectory: base, workingDirectory: base)
    }

    /// Whether every `source:` the compiler would read resolves inside `base`: relative, no
    /// `..`, and variables spliced into it plain names. The fuzzer must never make the
    /// harness read `/dev/zero` or a file outside its folder.
    static func readsOnlyBase(_ document: TaskDocument) -> Bool {
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
            let components = bytes.split(separator: UInt8(ascii: "/"))
            return bytes.first != UInt8(ascii: "/") && !components.contains { $0.elementsEqual("..".utf8) }
                && (!source.contains("{{") || plainValues)
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    TaskFileHarness.run(FuzzInput.data(bytes, count))
    return 0
}
