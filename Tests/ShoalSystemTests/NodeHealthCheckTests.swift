import Foundation
import ShoalCore
import ShoalTestSupport
import Testing

/// Recurring node checks from the agent config travel with the heartbeat and show in
/// `coordinator nodes show`; a check that starts failing is reported within an interval.
extension SystemTests {
@Suite(.serialized)
struct NodeHealthCheckTests {
    @Test func nodeChecksAreReportedWithTheHeartbeatAndFollowTheServiceState() async throws {
        try await TestFleet.with { fleet in
            try await fleet.startCoordinator()
            let flag = fleet.root + "/service-up"
            FileManager.default.createFile(atPath: flag, contents: Data())
            let checks = [
                NodeHealthCheck(name: "service", interval: "1s", probe: HealthProbeSpec(command: CommandStepParams(script: "test -e '\(flag)'"))),
                NodeHealthCheck(name: "coordinator-port", interval: "1s", probe: HealthProbeSpec(tcp: .init(address: "127.0.0.1:\(fleet.port)"))),
                NodeHealthCheck(name: "nothing-listens", interval: "1s", probe: HealthProbeSpec(tcp: .init(address: "127.0.0.1:1"))),
            ]
            try fleet.startAgent("hc1", token: try fleet.token(), healthChecks: checks)
            let node = try #require(try await fleet.waitForReady(["hc1"])["hc1"])

            func results(of id: String) async throws -> [String: NodeCheckResult] {
                let view = try await fleet.admin().get("/v1/nodes/\(id)", as: NodeView.self)
                return Dictionary(uniqueKeysWithValues: (view.metrics?.checks ?? []).map { ($0.name, $0) })
            }
            var reported: [String: NodeCheckResult] = [:]
            let seen = await eventually(timeout: 15) {
                reported = (try? await results(of: node.id)) ?? [:]
                return reported.count == 3
            }
            #expect(seen, "checks reported: \(reported)")
            #expect(reported["service"]?.healthy == true)
            #expect(reported["coordinator-port"]?.healthy == true)
            #expect(reported["nothing-listens"]?.healthy == false)
            #expect(reported["nothing-listens"]?.message?.contains("connection refused") == true)

            try FileManager.default.removeItem(atPath: flag)
            let turned = await eventually(timeout: 15) {
                (try? await results(of: node.id))?["service"]?.healthy == false
            }
            #expect(turned)
            let show = try fleet.cli(["nodes", "show", node.id])
            #expect(show.stdout.contains("check:      service (command) UNHEALTHY"))
            #expect(show.stdout.contains("check:      coordinator-port (tcp) healthy"))
        }
    }
}
}
