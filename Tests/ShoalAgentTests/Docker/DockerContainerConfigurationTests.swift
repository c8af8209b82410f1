import Foundation
import ShoalAgent
import ShoalCore
import Testing

/// The parts of `docker_container` that need no daemon: parsing, hashing, diffing, the API body.
@Suite struct DockerContainerConfigurationTests {
    @Test func imageReferencesDefaultToLatestAndKeepRegistryPorts() throws {
        #expect(try DockerImageReference("busybox").description == "busybox:latest")
        let ported = try DockerImageReference("registry.local:5000/team/app")
        #expect(ported.repository == "registry.local:5000/team/app")
        #expect(ported.tagOrDigest == "latest")
        let tagged = try DockerImageReference("registry.local:5000/team/app:2.1")
        #expect(tagged.repository == "registry.local:5000/team/app")
        #expect(tagged.tagOrDigest == "2.1")
        let digest = try DockerImageReference("app@sha256:abc")
        #expect(digest.description == "app@sha256:abc")
        #expect(throws: ShoalError.self) { try DockerImageReference("bad image") }
    }

    @Test func portsAreNormalizedAndMappedToTheAPI() throws {
        let configuration = try DockerContainerConfiguration(image: DockerImageReference("app"), ports: ["8080:80", "127.0.0.1:53:53/udp", "9000"])
        #expect(configuration.ports == ["8080:80/tcp", "127.0.0.1:53:53/udp", "9000/tcp"])
        let body = configuration.createBody
        #expect(Set(body.exposedPorts.keys) == ["80/tcp", "53/udp", "9000/tcp"])
        #expect(body.hostConfig.portBindings["80/tcp"] == [DockerContainerCreateBody.PortBinding(hostIP: "", hostPort: "8080")])
        #expect(body.hostConfig.portBindings["53/udp"] == [DockerContainerCreateBody.PortBinding(hostIP: "127.0.0.1", hostPort: "53")])
        #expect(body.hostConfig.portBindings["9000/tcp"] == nil)
        for bad in ["80/icmp", "x:80", "70000", "1:2:3:4"] {
            #expect(throws: ShoalError.self, "\(bad)") { try DockerContainerConfiguration(image: DockerImageReference("app"), ports: [bad]) }
        }
    }

    @Test func restartPolicyVolumesAndGPUsAreValidated() throws {
        let body = try DockerContainerConfiguration(
            image: DockerImageReference("app"), volumes: ["/srv:/data:ro"], restartPolicy: "on-failure:5", gpus: .count(2)
        ).createBody
        #expect(body.hostConfig.restartPolicy == DockerContainerCreateBody.RestartPolicy(name: "on-failure", maximumRetryCount: 5))
        #expect(body.hostConfig.binds == ["/srv:/data:ro"])
        #expect(body.hostConfig.deviceRequests == [DockerContainerCreateBody.DeviceRequest(driver: "", count: 2, capabilities: [["gpu"]])])
        #expect(throws: ShoalError.self) { try DockerContainerConfiguration(image: DockerImageReference("app"), restartPolicy: "sometimes") }
        #expect(throws: ShoalError.self) { try DockerContainerConfiguration(image: DockerImageReference("app"), volumes: ["/srv"]) }
        #expect(throws: ShoalError.self) { try DockerContainerConfiguration(image: DockerImageReference("app"), labels: ["io.shoal.config": "x"]) }
    }

    @Test func gpusDecodeFromAllOrACount() throws {
        let all = try StepSpec(kind: DockerContainerStep.kind, params: .object(["name": .string("x"), "image": .string("app"), "gpus": .string("all")]))
        #expect(try all.decodeParams(DockerContainerStepParams.self).gpus == .all)
        let two = try StepSpec(kind: DockerContainerStep.kind, params: .object(["name": .string("x"), "image": .string("app"), "gpus": .number(2)]))
        #expect(try two.decodeParams(DockerContainerStepParams.self).gpus == .count(2))
        let bad = StepSpec(kind: DockerContainerStep.kind, params: .object(["name": .string("x"), "image": .string("app"), "gpus": .string("some")]))
        #expect(throws: ShoalError.self) { try DockerContainerStep(spec: bad) }
    }

    @Test func hashIgnoresMapOrderAndRecordedFieldsRoundTrip() throws {
        let one = try DockerContainerConfiguration(image: DockerImageReference("app:1"), env: ["A": "1", "B": "2"])
        let same = try DockerContainerConfiguration(image: DockerImageReference("app:1"), env: ["B": "2", "A": "1"])
        let other = try DockerContainerConfiguration(image: DockerImageReference("app:1"), env: ["A": "1", "B": "3"])
        #expect(one.hash == same.hash)
        #expect(one.hash != other.hash)
        let labels = one.createBody.labels
        #expect(labels[DockerContainerConfiguration.hashLabel] == one.hash)
        let recorded = try #require(DockerContainerConfiguration.recordedFields(labels: labels))
        #expect(recorded == one.fields)
        #expect(DockerContainerConfiguration.differences(old: recorded, new: other.fields) == ["env.B: 2 → 3"])
    }

    @Test func differencesNameAddedAndRemovedFields() throws {
        let old = try DockerContainerConfiguration(image: DockerImageReference("app:1"), env: ["OLD": "x"], restartPolicy: "always")
        let new = try DockerContainerConfiguration(image: DockerImageReference("app:2"), command: ["serve"], env: ["NEW": "y"], restartPolicy: "always")
        #expect(DockerContainerConfiguration.differences(old: old.fields, new: new.fields) == [
            "command: (unset) → [\"serve\"]",
            "env.NEW: (unset) → y",
            "env.OLD: x → (unset)",
            "image: app:1 → app:2",
        ])
    }

    @Test func invalidStepParametersAreRefusedUpFront() throws {
        let cases: [DockerContainerStepParams] = [
            DockerContainerStepParams(name: "web"),
            DockerContainerStepParams(name: "bad name", image: "app"),
            DockerContainerStepParams(name: "web", image: "app", state: "paused"),
            DockerContainerStepParams(name: "web", image: "app", pull: "sometimes"),
            DockerContainerStepParams(name: "web", image: "app", socket: "docker.sock"),
            DockerContainerStepParams(name: "web", image: "app", command: []),
        ]
        for params in cases {
            #expect(throws: ShoalError.self) { try DockerContainerStep(spec: StepSpec(kind: DockerContainerStep.kind, encoding: params)) }
        }
        // absent needs no image.
        _ = try DockerContainerStep(spec: StepSpec(kind: DockerContainerStep.kind, encoding: DockerContainerStepParams(name: "web", state: "absent")))
    }
}
