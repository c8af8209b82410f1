import Foundation
import ShoalCore
import ShoalTestSupport
import Testing

/// docker_engine on a real systemd Debian 12 node: Debian's docker.io installed from the
/// mirror, the service enabled and running, the service user in the docker group; check mode
/// first changes nothing, a second apply changes nothing.
extension SystemTests {
@Suite(.serialized)
struct DockerEngineOnNodeTests {
    // A node in a container: no iptables for dockerd, and overlayfs cannot nest, so the
    // daemon uses vfs. Operators set daemon.json the same way before the engine step.
    static let task = """
        name: docker host
        steps:
          - name: docker config folder
            directory: { path: /etc/docker }
          - name: daemon settings
            file:
              path: /etc/docker/daemon.json
              content: '{"iptables": false, "bridge": "none", "storage-driver": "vfs"}'
          - name: service user
            user: { name: app, system: true }
          - name: engine
            docker_engine: { source: distro, users: [app] }
        """

    @Test func dockerEngineInstallsStartsAndAddsTheUserThenIsUnchanged() async throws {
        try await Testbed.withNodes(count: 1, binds: try await NodeAgent.binds()) { nodes in
            let node = nodes[0]
            let before = try await NodeAgent.fingerprint(node)
            let check = try await NodeAgent.apply(node, Self.task, check: true)
            let engineCheck = try #require(check.report?.step("engine"), "\(check.stdout) \(check.stderr)")
            #expect([.changed, .unknown].contains(engineCheck.status))
            #expect(engineCheck.message?.contains("docker.io") == true)
            #expect(try await NodeAgent.fingerprint(node) == before)

            let apply = try await NodeAgent.apply(node, Self.task)
            #expect(apply.status == 0, "\(apply.stdout) \(apply.stderr)")
            #expect(apply.report?.step("engine")?.status == .changed)
            #expect(try await node.exec(["systemctl", "is-active", "docker"]).stdout == "active\n")
            #expect(try await node.exec(["systemctl", "is-enabled", "docker"]).stdout == "enabled\n")
            #expect(try await node.exec(["id", "-nG", "app"]).stdout.contains("docker"))
            let server = try await node.exec(["docker", "version", "--format", "{{.Server.Version}}"])
            #expect(server.succeeded, "\(server.stderr)")
            #expect(server.stdout.hasPrefix("20.10"))

            let again = try await NodeAgent.apply(node, Self.task)
            #expect(again.report?.steps.allSatisfy { $0.status == .unchanged } == true, "\(again.stdout)")
        }
    }
}
}
