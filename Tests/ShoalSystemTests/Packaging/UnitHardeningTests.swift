import Foundation
import ShoalCoordinator
import ShoalTestSupport
import Testing

/// The shipped systemd units, scored by systemd's own `systemd-analyze security --offline=yes`
/// (package `systemd`): the coordinator runs with least privilege, and the agent — root by
/// design — keeps every restriction its steps allow. A unit edit that loosens either fails here.
extension SystemTests {
@Suite
struct UnitHardeningTests {
    /// The agent's figure when its restrictions were last reviewed (docs/security.md lists
    /// each remaining item). Lower it when the unit gets stricter; never raise it.
    static let agentExposureCeiling = 9.0

    /// The overall exposure `systemd-analyze` prints for a unit file.
    func exposure(_ path: String) async throws -> Double {
        let analyze = "/usr/bin/systemd-analyze"
        try #require(FileManager.default.isExecutableFile(atPath: analyze), "systemd-analyze is missing: apt-get install systemd")
        let result = try await Testbed.runOnHost(analyze, ["security", "--offline=yes", "--no-pager", path], timeout: .seconds(60))
        let output = result.stdout + result.stderr
        let match = try #require(output.firstMatch(of: /Overall exposure level for [^:]+: (\d+\.\d+)/), "no exposure in: \(output.suffix(1000))")
        return try #require(Double(match.output.1))
    }

    @Test func coordinatorUnitExposureIsAtMostTwo() async throws {
        let unit = Testbed.packageRoot + "/coordinator/assets/shoal-coordinator.service"
        let score = try await exposure(unit)
        #expect(score <= 2.0, "shoal-coordinator.service exposure \(score) > 2.0")
        let text = try String(contentsOfFile: unit, encoding: .utf8)
        // Its own user, no capability, its data dir and nothing else writable.
        #expect(text.contains("\nUser=shoal\n") && text.contains("\nCapabilityBoundingSet=\n"))
        #expect(text.contains("\nProtectSystem=strict\n") && text.contains("\nStateDirectory=shoal\n"))
    }

    @Test func agentUnitExposureDoesNotRise() async throws {
        let unit = Testbed.packageRoot + "/agent/assets/shoal-agent.service"
        let score = try await exposure(unit)
        #expect(score <= Self.agentExposureCeiling, "shoal-agent.service exposure \(score) rose above \(Self.agentExposureCeiling)")
        // The copy `enroll` installs is the same unit.
        #expect(try String(contentsOfFile: unit, encoding: .utf8) == AgentInstallLayout.unitText)
    }
}
}
