import Foundation
@testable import ShoalAgent
import ShoalCore

/// Real copies of this host's system files for the system steps to work on, so the real
/// tools (useradd --prefix, ufw --datadir, sshd -t -f) run without touching the host.
enum SystemStepFixtures {
    static func context(_ dir: TemporaryDirectory) -> StepContext {
        StepContext(nodeID: "n-1", bundleID: "b-1", stepIndex: 0, files: [:], outputPrefix: dir.file("step-0"), remaining: nil)
    }

    static func spec(_ kind: String, name: String? = nil, _ params: [String: JSONValue]) -> StepSpec {
        StepSpec(kind: kind, name: name, params: .object(params))
    }

    static func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }

    /// A root prefix holding copies of the host's account files, as `useradd --prefix` wants.
    static func accountsRoot(in dir: TemporaryDirectory) throws -> String {
        let root = dir.file("root")
        for folder in ["etc/default", "home", "var/mail"] {
            try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
        }
        for file in ["/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow", "/etc/login.defs", "/etc/default/useradd"]
            where FileManager.default.fileExists(atPath: file) {
            try FileManager.default.copyItem(atPath: file, toPath: root + file)
        }
        return root
    }

    /// A ufw `--datadir` holding copies of the host's freshly installed ufw files.
    static func ufwDatadir(in dir: TemporaryDirectory) throws -> String {
        let data = dir.file("ufw")
        try FileManager.default.createDirectory(atPath: data + "/etc/default", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: data + "/lib", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/etc/ufw", toPath: data + "/etc/ufw")
        try FileManager.default.copyItem(atPath: "/etc/default/ufw", toPath: data + "/etc/default/ufw")
        try FileManager.default.copyItem(atPath: "/lib/ufw", toPath: data + "/lib/ufw")
        return data
    }

    /// Runs a real program, for test set-up; fails the test when it exits non-zero.
    @discardableResult
    static func run(_ argv: [String], in dir: TemporaryDirectory) async throws -> SystemCommand.Result {
        let result = try await SystemCommand(outputPrefix: dir.file("setup")).run(argv, label: "setup")
        guard result.succeeded else { throw ShoalError(.stepFailed, "\(argv.joined(separator: " ")): \(result.complaint)") }
        return result
    }

    static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }
}
