import Foundation
import ShoalAgent
import ShoalCore
import Testing

/// `docker_container` recreates keep the data in an image's `VOLUME` (anonymous volumes),
/// against a real dockerd (see `TestDockerDaemon`).
@Suite(.serialized)
struct DockerContainerAnonymousVolumeTests {
    /// The test busybox image with `VOLUME /data`.
    static let volumeImage = "\(TestDockerDaemon.imageRepository):vol"

    static func step(_ params: DockerContainerStepParams) throws -> DockerContainerStep {
        try DockerContainerStep(spec: StepSpec(kind: DockerContainerStep.kind, name: "db", encoding: params))
    }

    /// Each start appends its GREETING to /data/log, so the log shows which containers saw the data.
    static func database(_ daemon: TestDockerDaemon, greeting: String) -> DockerContainerStepParams {
        DockerContainerStepParams(
            name: "db", image: volumeImage, command: ["sh", "-c", "echo \"$GREETING\" >> /data/log; exec sleep 3600"],
            env: ["GREETING": greeting], networkMode: "none", pull: "never", socket: daemon.socket, stopTimeout: 1
        )
    }

    static func importVolumeImage(_ daemon: TestDockerDaemon) async throws {
        try await daemon.importBusyboxImage(marker: "volume", tag: "vol", changes: ["VOLUME /data"])
    }

    /// The container's writes land asynchronously after start: waits for the file to read `expected`.
    static func contents(of path: String, becoming expected: String) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(20)
        var text = ""
        while ContinuousClock.now < deadline {
            text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            if text == expected { return text }
            try await Task.sleep(for: .milliseconds(100))
        }
        return text
    }

    static func dataMount(of container: DockerContainerInspect?) throws -> DockerContainerMount {
        let mounts = (container?.mounts ?? []).filter { $0.destination == "/data" }
        #expect(mounts.count == 1, "\(mounts)")
        return try #require(mounts.first)
    }

    @Test func recreatesCarryTheImageVolumeOver() async throws {
        try await TestDockerDaemon.run { daemon in
            try await Self.importVolumeImage(daemon)
            let client = daemon.client
            let context = daemon.context()

            let created = try await Self.step(Self.database(daemon, greeting: "hello")).apply(in: context)
            #expect(created.status == .changed, "\(created.message ?? "")")
            let first = try #require(try await client.inspectContainer("db"))
            let volume = try Self.dataMount(of: first)
            #expect(volume.isAnonymousVolume)
            let name = try #require(volume.name)
            let log = try #require(volume.source) + "/log"
            #expect(try await Self.contents(of: log, becoming: "hello\n") == "hello\n")

            // Check says the volume would be kept, and changes nothing.
            let byeParams = Self.database(daemon, greeting: "bye")
            let check = try await Self.step(byeParams).check(in: context)
            #expect(check.status == .changed)
            #expect(check.message?.contains("would recreate container db: env.GREETING: hello → bye; keeping anonymous volume /data") == true, "\(check.message ?? "")")
            #expect(check.diff?.contains("  keep anonymous volume /data (volume \(name.prefix(12)))\n") == true, "\(check.diff ?? "")")
            #expect(try await client.inspectContainer("db")?.id == first.id)

            // Apply recreates with the same volume at /data: the new container appends to the old log.
            let recreated = try await Self.step(byeParams).apply(in: context)
            #expect(recreated.status == .changed, "\(recreated.message ?? "")")
            #expect(recreated.message?.contains("kept anonymous volume /data") == true, "\(recreated.message ?? "")")
            let second = try #require(try await client.inspectContainer("db"))
            #expect(second.id != first.id)
            #expect(second.state.running)
            #expect(try Self.dataMount(of: second).name == name)
            #expect(try await Self.contents(of: log, becoming: "hello\nbye\n") == "hello\nbye\n")
            #expect(try await client.listContainers().map(\.id) == [second.id])

            // The carried mount is not part of the configuration: nothing to do now.
            #expect(try await Self.step(byeParams).apply(in: context).status == .unchanged)

            // A carried volume is carried again at the next recreate.
            let third = try await Self.step(Self.database(daemon, greeting: "third")).apply(in: context)
            #expect(third.status == .changed, "\(third.message ?? "")")
            let current = try await client.inspectContainer("db")
            #expect(try Self.dataMount(of: current).name == name)
            #expect(try await Self.contents(of: log, becoming: "hello\nbye\nthird\n") == "hello\nbye\nthird\n")
        }
    }

    @Test func aMountOverTheVolumeIsRefusedUnlessDropAnonymousVolumesIsSet() async throws {
        try await TestDockerDaemon.run { daemon in
            try await Self.importVolumeImage(daemon)
            let client = daemon.client
            let context = daemon.context()
            #expect(try await Self.step(Self.database(daemon, greeting: "hello")).apply(in: context).status == .changed)
            let first = try #require(try await client.inspectContainer("db"))
            let volume = try Self.dataMount(of: first)
            let name = try #require(volume.name)
            let oldLog = try #require(volume.source) + "/log"
            #expect(try await Self.contents(of: oldLog, becoming: "hello\n") == "hello\n")

            // The new configuration binds a host folder at /data: the volume cannot be carried.
            let folder = daemon.root + "/bind"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            var rebound = Self.database(daemon, greeting: "bye")
            rebound.volumes = ["\(folder):/data"]
            let refusedCheck = try await Self.step(rebound).check(in: context)
            let refusedApply = try await Self.step(rebound).apply(in: context)
            for outcome in [refusedCheck, refusedApply] {
                #expect(outcome.status == .failed)
                #expect(outcome.errorCode == .dockerAnonymousVolumeConflict)
                #expect(outcome.message?.contains("/data (volume \(name)), where the new configuration mounts '\(folder):/data'") == true, "\(outcome.message ?? "")")
                #expect(outcome.message?.contains("nothing was changed") == true)
                #expect(outcome.message?.contains("dropAnonymousVolumes: true") == true)
            }
            let untouched = try #require(try await client.inspectContainer("db"))
            #expect(untouched.id == first.id)
            #expect(untouched.state.running)
            #expect(try await client.listContainers().count == 1)

            // Allowed to drop: recreated with the bind; the old volume and its data stay on the node.
            rebound.dropAnonymousVolumes = true
            let check = try await Self.step(rebound).check(in: context)
            #expect(check.status == .changed)
            #expect(check.message?.contains("dropping anonymous volume /data (volume \(name) stays on the node)") == true, "\(check.message ?? "")")
            let applied = try await Self.step(rebound).apply(in: context)
            #expect(applied.status == .changed, "\(applied.message ?? "")")
            #expect(applied.message?.contains("dropped anonymous volume /data") == true, "\(applied.message ?? "")")
            let second = try #require(try await client.inspectContainer("db"))
            #expect(second.id != first.id)
            let bind = try Self.dataMount(of: second)
            #expect(bind.type == "bind")
            #expect(bind.source == folder)
            #expect(try await Self.contents(of: folder + "/log", becoming: "bye\n") == "bye\n")
            #expect((try? String(contentsOfFile: oldLog, encoding: .utf8)) == "hello\n")
        }
    }
}
