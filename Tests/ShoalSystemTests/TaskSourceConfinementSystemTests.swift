import Foundation
import ShoalCoordinator
import ShoalCore
import Testing

/// A hostile task-file author: a task folder whose `source:` paths reach for the coordinator's
/// signing key by `..`, by absolute path, through a symlink, and from the folder above the
/// data directory. `coordinator task run --check --wait` and `agent apply` refuse each before
/// anything is read or sent; no task is created and the key's bytes appear in no output.
extension SystemTests {
@Suite(.serialized)
struct TaskSourceConfinementSystemTests {
    /// The key's longest line: what must never show up anywhere.
    func keySecret(_ fleet: TestFleet) throws -> String {
        let key = try String(contentsOfFile: FleetPaths(root: fleet.dataDir).bundleSigningKey, encoding: .utf8)
        return try #require(key.split(separator: "\n").map(String.init).max { $0.count < $1.count })
    }

    /// Task files that try to carry the signing key, each with the rule its refusal names.
    func hostileTasks(_ fleet: TestFleet) throws -> [(file: String, rule: String, vars: [String])] {
        let tasks = fleet.root + "/tasks"
        try FileManager.default.createDirectory(atPath: tasks, withIntermediateDirectories: true)
        let key = FleetPaths(root: fleet.dataDir).bundleSigningKey
        try FileManager.default.createSymbolicLink(atPath: tasks + "/innocent.txt", withDestinationPath: key)
        func task(_ path: String, _ source: String) throws -> String {
            try """
                name: innocent
                steps:
                  - name: ship it
                    file: { path: /tmp/stolen, source: "\(source)" }
                """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        return [
            (try task(tasks + "/dotdot.yaml", "../coordinator/bundle-signing.key"), "'..'", []),
            (try task(tasks + "/absolute.yaml", key), "absolute path", []),
            (try task(tasks + "/symlink.yaml", "innocent.txt"), "outside the task file's folder", []),
            // A task file in the folder above the data directory: inside its folder, still refused.
            (try task(fleet.root + "/above.yaml", "coordinator/bundle-signing.key"), "data directory", []),
            // Even a path the operator typed never reaches the data directory.
            (try task(tasks + "/var.yaml", "{{binary}}"), "data directory", ["--var", "binary=\(key)"]),
        ]
    }

    @Test func taskRunRefusesSourcesOutsideTheTaskFolderAndCreatesNothing() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            try fleet.startAgent("c1", token: try fleet.token(labels: ["pool=confine"]))
            _ = try await fleet.waitForReady(["c1"])
            let secret = try keySecret(fleet)
            for hostile in try hostileTasks(fleet) {
                let result = try fleet.cli(["task", "run", "--file", hostile.file, "--selector", "pool=confine", "--check", "--wait"] + hostile.vars)
                #expect(result.status == 2, "\(hostile.file): \(result.status) \(result.stdout) \(result.stderr)")
                #expect(result.stderr.contains("[task.invalid]"), "\(hostile.file): \(result.stderr)")
                #expect(result.stderr.contains(hostile.file) && result.stderr.contains("step 1 (ship it)"), "\(result.stderr)")
                #expect(result.stderr.contains(hostile.rule), "\(hostile.file): \(result.stderr)")
                #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret), "the key leaked for \(hostile.file)")
            }
            // Nothing reached the coordinator: no task, so no bundle and no node ever saw it.
            let tasks = try fleet.cli(["task", "list", "--json"])
            #expect(tasks.status == 0, "\(tasks.stderr)")
            #expect(try WireCoding.decode(TaskListResponse.self, from: Data(tasks.stdout.utf8)).tasks.isEmpty, "\(tasks.stdout)")

            // The same file read from inside its folder is carried as before.
            try "fine\n".write(toFile: fleet.root + "/tasks/fine.txt", atomically: true, encoding: .utf8)
            try """
                name: fine
                steps:
                  - file: { path: \(fleet.root)/out.txt, source: fine.txt }
                """.write(toFile: fleet.root + "/tasks/fine.yaml", atomically: true, encoding: .utf8)
            let fine = try fleet.cli(["task", "run", "--file", fleet.root + "/tasks/fine.yaml", "--selector", "pool=confine", "--wait"])
            #expect(fine.status == 0, "\(fine.stdout) \(fine.stderr)")
            #expect((try? String(contentsOfFile: fleet.root + "/out.txt", encoding: .utf8)) == "fine\n")
        }
    }

    @Test func agentApplyRefusesTheSameFiles() async throws {
        try await TestFleet.with { fleet in
            let secret = try keySecret(fleet)
            for hostile in try hostileTasks(fleet) {
                // `agent apply` knows the fleet's data directory from SHOAL_DATA_DIR.
                let result = try runCommand(TestFleet.agentBinary, ["apply", hostile.file, "--check"] + hostile.vars, environment: ["SHOAL_DATA_DIR": fleet.dataDir])
                #expect(result.status == 2, "\(hostile.file): \(result.status) \(result.stdout) \(result.stderr)")
                #expect(result.stderr.contains("[task.invalid]") && result.stderr.contains(hostile.rule), "\(hostile.file): \(result.stderr)")
                #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret), "the key leaked for \(hostile.file)")
            }
        }
    }
}
}
