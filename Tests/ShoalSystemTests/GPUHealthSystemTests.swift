import Foundation
import ShoalCore
import ShoalTestSupport
import Testing

/// GPU health through live processes: an agent whose nvidia-smi and dmesg replay the
/// committed nvidia-smi scenarios (the only fake is the GPU) heartbeats to a real
/// coordinator; the node's GPU health turns failed and back, `nodes list` / `nodes show` say
/// so, `gpu.health` selects it, and the agent accepts a task selected by it.
extension SystemTests {
@Suite(.serialized)
struct GPUHealthSystemTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ShoalAgentTests/Fixtures/nvidia-smi").path

    @Test func aLiveAgentsGPUHealthTurnsFailedWithECCAndBackAndSelectsByIt() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            // nvidia-smi and dmesg on the agent's PATH replay the scenario the file names.
            let scenario = fleet.root + "/gpu-scenario"
            try "h200".write(toFile: scenario, atomically: true, encoding: .utf8)
            let bin = fleet.root + "/fake-bin"
            try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
            for (name, script) in [("nvidia-smi", "fake-nvidia-smi.sh"), ("dmesg", "fake-dmesg.sh")] {
                let path = bin + "/" + name
                try "#!/bin/sh\nexec /bin/sh '\(Self.fixtures)/\(script)' \"\(Self.fixtures)/$(cat '\(scenario)')\" \"$@\"\n"
                    .write(toFile: path, atomically: true, encoding: .utf8)
                try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
            }
            let path = bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
            try fleet.startAgent("gpu1", token: try fleet.token(), environment: ["PATH": path])
            let node = try #require(try await fleet.waitForReady(["gpu1"])["gpu1"])

            func health() async -> GPUHealthState? {
                (try? await fleet.admin().get("/v1/nodes/\(node.id)", as: NodeView.self))?.metrics?.gpuHealthState
            }
            func selected(_ selector: String) throws -> String {
                let result = try fleet.cli(["nodes", "list", "--selector", selector])
                #expect(result.status == 0, "\(result.stderr)")
                return result.stdout
            }
            #expect(await eventually(timeout: 15) { await health() == .ok })
            #expect(try selected("gpu.health=ok").contains("gpu1"))
            #expect(try fleet.cli(["nodes", "list"]).stdout.contains("GPU HEALTH"))

            // The agent checks the task's gpu.health against its own latest sample and runs it.
            let run = try fleet.cli(["task", "run", "--selector", "gpu.health=ok", "--command", "echo healthy", "--json"])
            #expect(run.status == 0, "\(run.stderr)")
            let task = try WireCoding.decode(TaskView.self, from: Data(run.stdout.utf8))
            #expect(try await fleet.waitForTask(task.id).nodes.first?.status == .succeeded)

            // Two uncorrectable ECC errors and a pending row remap: failed, with the reason.
            try "h200-ecc-remap".write(toFile: scenario, atomically: true, encoding: .utf8)
            #expect(await eventually(timeout: 15) { await health() == .failed })
            #expect(try selected("gpu.health=failed").contains("gpu1"))
            #expect(try !selected("gpu.health=ok").contains("gpu1"))
            let list = try fleet.cli(["nodes", "list"]).stdout
            #expect(list.split(separator: "\n").contains { $0.contains("gpu1") && $0.trimmingCharacters(in: .whitespaces).hasSuffix("failed") }, "\(list)")
            let show = try fleet.cli(["nodes", "show", node.id]).stdout
            #expect(show.contains("gpu health: failed (GPU 0 failed: 2 uncorrectable ECC error(s) since the driver loaded"), "\(show)")
            #expect(show.contains("gpu 0:      failed,"), "\(show)")
            let refused = try fleet.cli(["task", "run", "--selector", "gpu.health=ok", "--command", "true"])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("task.no_nodes_matched") || refused.stdout.contains("no enrolled node matches"), "\(refused.stderr)")

            // After the reset the counters start over: ok again.
            try "h200".write(toFile: scenario, atomically: true, encoding: .utf8)
            #expect(await eventually(timeout: 15) { await health() == .ok })
            #expect(try selected("gpu.health=ok").contains("gpu1"))
        }
    }
}
}
