import Foundation
import ShoalAgent
import ShoalCore
import Testing

/// `docker_container` against a real dockerd started for each test (see `TestDockerDaemon`).
@Suite(.serialized)
struct DockerContainerStepTests {
    static func step(_ params: DockerContainerStepParams) throws -> DockerContainerStep {
        try DockerContainerStep(spec: StepSpec(kind: DockerContainerStep.kind, name: "web", encoding: params))
    }

    /// A long-running container that stops fast (sleep as PID 1 ignores SIGTERM, so 1s grace).
    static func web(_ daemon: TestDockerDaemon, env: [String: String] = ["GREETING": "hello"], state: String? = nil) -> DockerContainerStepParams {
        DockerContainerStepParams(
            name: "web", image: TestDockerDaemon.image, command: ["sleep", "3600"], env: env, networkMode: "none",
            state: state, pull: "never", socket: daemon.socket, stopTimeout: 1
        )
    }

    @Test func lifecycleCreatesOnlyOnChangeAndHonoursEveryState() async throws {
        try await TestDockerDaemon.run { daemon in
            let client = daemon.client
            let context = daemon.context()
            #expect(try await client.version().apiVersion.hasPrefix("1."))

            // Check on a fresh daemon: says what it would create, creates nothing.
            let firstCheck = try await Self.step(Self.web(daemon)).check(in: context)
            #expect(firstCheck.status == .changed)
            #expect(firstCheck.message?.contains("would create and start container web from image \(TestDockerDaemon.image)") == true)
            #expect(firstCheck.diff?.contains("env.GREETING: (unset) → hello") == true)
            #expect(try await client.listContainers().isEmpty)

            // Apply creates and starts it, with the wanted settings.
            let created = try await Self.step(Self.web(daemon)).apply(in: context)
            #expect(created.status == .changed, "\(created.message ?? "")")
            let first = try #require(try await client.inspectContainer("web"))
            #expect(first.state.running)
            #expect(first.config.cmd == ["sleep", "3600"])
            #expect(first.config.env?.contains("GREETING=hello") == true)
            #expect(first.hostConfig.networkMode == "none")
            #expect(first.config.labels?[DockerContainerConfiguration.hashLabel]?.count == 64)

            // Second apply: nothing to do, same container.
            let again = try await Self.step(Self.web(daemon)).apply(in: context)
            #expect(again.status == .unchanged, "\(again.message ?? "")")
            #expect(try await client.inspectContainer("web")?.id == first.id)

            // Changed env: check shows old → new and changes nothing; apply recreates.
            let changedParams = Self.web(daemon, env: ["GREETING": "bye"])
            let diffCheck = try await Self.step(changedParams).check(in: context)
            #expect(diffCheck.status == .changed)
            #expect(diffCheck.diff?.contains("env.GREETING: hello → bye") == true, "\(diffCheck.diff ?? "")")
            #expect(try await client.inspectContainer("web")?.id == first.id)
            let recreated = try await Self.step(changedParams).apply(in: context)
            #expect(recreated.status == .changed)
            #expect(recreated.message?.contains("env.GREETING: hello → bye") == true)
            let second = try #require(try await client.inspectContainer("web"))
            #expect(second.id != first.id)
            #expect(second.state.running)
            #expect(second.config.env?.contains("GREETING=bye") == true)
            #expect(try await Self.step(changedParams).apply(in: context).status == .unchanged)

            // stopped: stops the same container (no recreate), then nothing to do.
            let stoppedParams = Self.web(daemon, env: ["GREETING": "bye"], state: "stopped")
            #expect(try await Self.step(stoppedParams).check(in: context).message == "would stop container web")
            #expect(try await Self.step(stoppedParams).apply(in: context).status == .changed)
            let stopped = try #require(try await client.inspectContainer("web"))
            #expect(!stopped.state.running)
            #expect(stopped.id == second.id)
            #expect(try await Self.step(stoppedParams).apply(in: context).status == .unchanged)

            // started again: starts it.
            #expect(try await Self.step(changedParams).apply(in: context).status == .changed)
            #expect(try await client.inspectContainer("web")?.state.running == true)

            // absent: check says so and keeps it; apply removes it; then nothing to do.
            let absent = DockerContainerStepParams(name: "web", state: "absent", socket: daemon.socket, stopTimeout: 1)
            #expect(try await Self.step(absent).check(in: context).status == .changed)
            #expect(try await client.inspectContainer("web") != nil)
            #expect(try await Self.step(absent).apply(in: context).status == .changed)
            #expect(try await client.inspectContainer("web") == nil)
            #expect(try await Self.step(absent).apply(in: context).status == .unchanged)
        }
    }

    @Test func unknownImageFailsWithStableCodeAndCreatesNothing() async throws {
        try await TestDockerDaemon.run { daemon in
            let context = daemon.context()
            for pull in ["missing", "always", "never"] {
                var params = Self.web(daemon)
                params.image = "shoal-test/absent:9"
                params.pull = pull
                let outcome = try await Self.step(params).apply(in: context)
                #expect(outcome.status == .failed)
                #expect(outcome.errorCode == .dockerImageUnavailable, "pull \(pull): \(outcome.message ?? "")")
                #expect(outcome.message?.contains("shoal-test/absent:9") == true)
            }
            // With pulling allowed, the daemon's own reason (no registry here) is in the message.
            var params = Self.web(daemon)
            params.image = "shoal-test/absent:9"
            params.pull = "missing"
            #expect(try await Self.step(params).apply(in: context).message?.contains("the Docker daemon") == true)
            params.pull = "never"
            #expect(try await Self.step(params).check(in: context).errorCode == .dockerImageUnavailable)
            #expect(try await daemon.client.listContainers().isEmpty)
        }
    }

    @Test func hostSettingsReachTheDaemonAndItsErrorsSurface() async throws {
        try await TestDockerDaemon.run { daemon in
            let context = daemon.context()
            let volume = daemon.root + "/vol"
            try FileManager.default.createDirectory(atPath: volume, withIntermediateDirectories: true)
            var params = Self.web(daemon, state: "stopped")
            params.volumes = ["\(volume):/data:ro"]
            params.restartPolicy = "on-failure:3"
            params.labels = ["team": "ml"]
            params.gpus = .all
            params.networkMode = "host"
            let outcome = try await Self.step(params).apply(in: context)
            #expect(outcome.status == .changed, "\(outcome.message ?? "")")
            let container = try #require(try await daemon.client.inspectContainer("web"))
            #expect(!container.state.running)
            #expect(container.hostConfig.binds == ["\(volume):/data:ro"])
            #expect(container.hostConfig.restartPolicy == DockerContainerCreateBody.RestartPolicy(name: "on-failure", maximumRetryCount: 3))
            #expect(container.hostConfig.networkMode == "host")
            #expect(container.config.labels?["team"] == "ml")
            let gpu = try #require(container.hostConfig.deviceRequests?.first)
            #expect(gpu.count == -1)
            #expect(gpu.capabilities == [["gpu"]])

            // This host has no NVIDIA runtime: starting fails, and the daemon's words reach the step.
            params.state = "started"
            let start = try await Self.step(params).apply(in: context)
            #expect(start.status == .failed)
            #expect(start.errorCode == .dockerAPIError)
            #expect(start.message?.contains("could not select device driver") == true, "\(start.message ?? "")")
        }
    }

    @Test func aRecreateThatFailsPutsTheOldContainerBack() async throws {
        try await TestDockerDaemon.run { daemon in
            let context = daemon.context()
            #expect(try await Self.step(Self.web(daemon)).apply(in: context).status == .changed)
            let before = try #require(try await daemon.client.inspectContainer("web"))
            #expect(before.state.running)
            // The new configuration cannot start here (no NVIDIA runtime).
            var broken = Self.web(daemon, env: ["GREETING": "bye"])
            broken.gpus = .all
            let outcome = try await Self.step(broken).apply(in: context)
            #expect(outcome.status == .failed)
            #expect(outcome.message?.contains("the old container was put back and started again") == true, "\(outcome.message ?? "")")
            let after = try #require(try await daemon.client.inspectContainer("web"))
            #expect(after.id == before.id)
            #expect(after.state.running)
            #expect(after.config.env?.contains("GREETING=hello") == true)
            #expect(try await daemon.client.listContainers().count == 1)
        }
    }

    @Test func imageMovedUnderTheSameTagRecreates() async throws {
        try await TestDockerDaemon.run { daemon in
            let context = daemon.context()
            #expect(try await Self.step(Self.web(daemon)).apply(in: context).status == .changed)
            let before = try #require(try await daemon.client.inspectContainer("web"))
            try await daemon.importBusyboxImage(marker: "v2")
            let check = try await Self.step(Self.web(daemon)).check(in: context)
            #expect(check.status == .changed)
            #expect(check.diff?.contains("image id: \(before.image.dropFirst("sha256:".count).prefix(12)) → ") == true, "\(check.diff ?? "")")
            #expect(try await Self.step(Self.web(daemon)).apply(in: context).status == .changed)
            let after = try #require(try await daemon.client.inspectContainer("web"))
            #expect(after.id != before.id)
            #expect(after.image != before.image)
            #expect(try await Self.step(Self.web(daemon)).apply(in: context).status == .unchanged)
        }
    }

    @Test func publishedPortsAreBound() async throws {
        try await TestDockerDaemon.run { daemon in
            var params = Self.web(daemon, state: "stopped")
            // The image is local: `missing` must not try to pull (no registry is reachable here).
            params.pull = "missing"
            params.networkMode = nil
            params.ports = ["127.0.0.1:18080:80", "9000/udp"]
            let outcome = try await Self.step(params).apply(in: daemon.context())
            #expect(outcome.status == .changed, "\(outcome.message ?? "")")
            let container = try #require(try await daemon.client.inspectContainer("web"))
            #expect(container.hostConfig.portBindings?["80/tcp"] == [DockerContainerCreateBody.PortBinding(hostIP: "127.0.0.1", hostPort: "18080")])
            #expect(container.hostConfig.portBindings?["9000/udp"] == nil)
        }
    }

    @Test func unreachableDaemonNamesTheSocket() async throws {
        let socket = "/tmp/shoal-no-docker-\(UInt32.random(in: 0...UInt32.max)).sock"
        var params = DockerContainerStepParams(name: "web", image: "busybox", socket: socket)
        let context = StepContext(nodeID: "n", bundleID: "b", stepIndex: 0, files: [:], outputPrefix: "/tmp/shoal-docker-unreachable", remaining: nil)
        let applied = try await Self.step(params).apply(in: context)
        #expect(applied.status == .failed)
        #expect(applied.errorCode == .dockerUnreachable)
        #expect(applied.message?.contains(socket) == true)
        #expect(applied.message?.contains("No such file or directory") == true)
        #expect(applied.message?.contains("systemctl status docker") == true)
        // Check mode cannot tell (a docker_engine step may install the daemon first).
        let checked = try await Self.step(params).check(in: context)
        #expect(checked.status == .unknown)
        #expect(checked.errorCode == .dockerUnreachable)
        params.state = "absent"
        #expect(try await Self.step(params).apply(in: context).errorCode == .dockerUnreachable)
    }
}
