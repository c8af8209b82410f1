import Foundation
import ShoalCore

/// Parameters of `docker_container` (camelCase keys).
public struct DockerContainerStepParams: Codable, Sendable {
    public var name: String
    /// Required unless `state` is `absent`.
    public var image: String?
    public var command: [String]?
    public var env: [String: String]?
    /// `"8080:80/tcp"`, `"127.0.0.1:8080:80"`, `"80/udp"`.
    public var ports: [String]?
    /// `"/host:/ctr"`, `"/host:/ctr:ro"`.
    public var volumes: [String]?
    /// `no` (default), `always`, `unless-stopped`, `on-failure`, `on-failure:N`.
    public var restartPolicy: String?
    /// `"all"` or a count.
    public var gpus: DockerGPURequest?
    /// `bridge`, `host`, `none`, or a network name; the daemon's default when unset.
    public var networkMode: String?
    public var labels: [String: String]?
    /// `started` (default), `stopped` or `absent`.
    public var state: String?
    /// `missing` (default): pull only when the image is not on the node; `always`; `never`.
    public var pull: String?
    public var socket: String?
    /// Seconds between SIGTERM and SIGKILL when stopping the container (default 10).
    public var stopTimeout: Int?
    /// On recreate, give the new container fresh anonymous volumes instead of carrying the
    /// old container's over (default false). The old volumes stay on the node.
    public var dropAnonymousVolumes: Bool?

    public init(name: String, image: String? = nil, command: [String]? = nil, env: [String: String]? = nil, ports: [String]? = nil, volumes: [String]? = nil, restartPolicy: String? = nil, gpus: DockerGPURequest? = nil, networkMode: String? = nil, labels: [String: String]? = nil, state: String? = nil, pull: String? = nil, socket: String? = nil, stopTimeout: Int? = nil, dropAnonymousVolumes: Bool? = nil) {
        self.name = name
        self.image = image
        self.command = command
        self.env = env
        self.ports = ports
        self.volumes = volumes
        self.restartPolicy = restartPolicy
        self.gpus = gpus
        self.networkMode = networkMode
        self.labels = labels
        self.state = state
        self.pull = pull
        self.socket = socket
        self.stopTimeout = stopTimeout
        self.dropAnonymousVolumes = dropAnonymousVolumes
    }
}

/// `docker_container`: one named container in a wanted state (started, stopped, absent),
/// through the Docker Engine API on the node's socket.
///
/// It recreates the container only when the wanted configuration changed: the
/// configuration's hash lives in the container's `io.shoal.config-hash` label (see
/// `DockerContainerConfiguration`), and a container whose image id differs from the local
/// image of that reference (after a pull) is recreated too. Images are pulled before
/// anything is touched, so an image that cannot be had leaves the node as it was.
/// A recreate carries the old container's anonymous volumes over (see
/// `DockerAnonymousVolumePlan`), so data in an image's `VOLUME` survives a config change.
public struct DockerContainerStep: Step {
    public static let kind = "docker_container"
    public static let defaultPullTimeout: Duration = .seconds(1800)

    enum WantedState: String { case started, stopped, absent }
    enum PullPolicy: String { case missing, always, never }

    let params: DockerContainerStepParams
    let name: String
    let state: WantedState
    let pull: PullPolicy
    /// Nil only for `state: absent`.
    let configuration: DockerContainerConfiguration?
    let client: DockerEngineClient

    public init(spec: StepSpec) throws {
        let params = try spec.decodeParams(DockerContainerStepParams.self)
        let label = "docker_container step '\(spec.displayName)'"
        // Docker's own rule: [a-zA-Z0-9][a-zA-Z0-9_.-]*
        let nameCharacters = params.name.unicodeScalars
        guard let first = nameCharacters.first, first.isASCII, first.properties.isAlphabetic || ("0"..."9").contains(first),
              nameCharacters.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_.-".unicodeScalars.contains($0)) }) else {
            throw ShoalError(.stepInvalid, "\(label): name '\(params.name)' must start with a letter or digit and use only letters, digits, '_', '.', '-'")
        }
        guard let state = WantedState(rawValue: params.state ?? "started") else {
            throw ShoalError(.stepInvalid, "\(label): state must be started, stopped or absent, not '\(params.state ?? "")'")
        }
        guard let pull = PullPolicy(rawValue: params.pull ?? "missing") else {
            throw ShoalError(.stepInvalid, "\(label): pull must be missing, always or never, not '\(params.pull ?? "")'")
        }
        let socket = params.socket ?? DockerEngineClient.defaultSocket
        guard socket.hasPrefix("/") else {
            throw ShoalError(.stepInvalid, "\(label): socket '\(socket)' must be an absolute path such as /var/run/docker.sock")
        }
        if let stop = params.stopTimeout, stop < 0 {
            throw ShoalError(.stepInvalid, "\(label): stopTimeout \(stop) must be 0 or more seconds")
        }
        if state == .absent {
            configuration = nil
        } else {
            guard let image = params.image else {
                throw ShoalError(.stepInvalid, "\(label): 'image' is required unless state is absent")
            }
            do {
                configuration = try DockerContainerConfiguration(
                    image: DockerImageReference(image), command: params.command, env: params.env ?? [:], ports: params.ports ?? [],
                    volumes: params.volumes ?? [], restartPolicy: params.restartPolicy ?? "no", gpus: params.gpus,
                    networkMode: params.networkMode, labels: params.labels ?? [:]
                )
            } catch let error as ShoalError {
                throw ShoalError(error.code, "\(label): \(error.message)")
            }
        }
        self.params = params
        self.name = spec.displayName
        self.state = state
        self.pull = pull
        self.client = DockerEngineClient(socketPath: socket)
    }

    public func apply(in context: StepContext) async -> StepOutcome {
        await run(in: context, applying: true)
    }

    public func check(in context: StepContext) async -> StepOutcome {
        await run(in: context, applying: false)
    }

    func run(in context: StepContext, applying: Bool) async -> StepOutcome {
        do {
            try await client.ping()
            let existing = try await client.inspectContainer(params.name)
            guard let configuration else {
                return try await makeAbsent(existing, applying: applying)
            }
            return try await converge(existing, to: configuration, in: context, applying: applying)
        } catch let error as ShoalError where error.code == .dockerUnreachable && !applying {
            // Check mode on a node whose daemon is not up yet (a docker_engine step may come first).
            return StepOutcome(status: .unknown, errorCode: error.code, message: error.message)
        } catch let error as ShoalError {
            return .failed(error)
        } catch {
            return .failed(ShoalError(.dockerAPIError, "container \(params.name): \(error)"))
        }
    }

    var stopGrace: Int { params.stopTimeout ?? 10 }

    func makeAbsent(_ existing: DockerContainerInspect?, applying: Bool) async throws -> StepOutcome {
        guard let existing else {
            return StepOutcome(status: .unchanged, message: "container \(params.name) is absent")
        }
        let diff = "remove container \(params.name) (\(existing.state.status), id \(existing.id.prefix(12)))\n"
        guard applying else {
            return StepOutcome(status: .changed, message: "would remove container \(params.name)", diff: diff)
        }
        try await remove(existing)
        return StepOutcome(status: .changed, message: "removed container \(params.name)", diff: diff)
    }

    func converge(_ existing: DockerContainerInspect?, to configuration: DockerContainerConfiguration, in context: StepContext, applying: Bool) async throws -> StepOutcome {
        let reference = configuration.image
        var image = try await client.inspectImage(reference.description)
        var notes: [String] = []
        if applying, pull == .always || (pull == .missing && image == nil) {
            var timeout = Self.defaultPullTimeout
            if let remaining = context.remaining { timeout = min(timeout, remaining) }
            do {
                try await client.pullImage(reference, timeout: timeout)
            } catch let error as ShoalError where error.code != .dockerUnreachable {
                throw ShoalError(.dockerImageUnavailable, "image \(reference) for container \(params.name) could not be pulled: \(error.message); nothing was changed — check the image name and tag, the registry's reachability and credentials, or load the image on the node and set pull: never")
            }
            image = try await client.inspectImage(reference.description)
            notes.append("pulled \(reference)")
        }
        if image == nil {
            if applying || pull == .never {
                let why = pull == .never ? "pull is 'never'" : "the daemon has no such image after pulling"
                throw ShoalError(.dockerImageUnavailable, "image \(reference) for container \(params.name) is not on this node and \(why); nothing was changed — load the image (docker load / docker import) or allow pulling")
            }
            notes.append("would pull \(reference)")
        }

        guard let existing else {
            let verb = state == .started ? "create and start" : "create"
            let diff = "\(verb) container \(params.name) from image \(reference)\n"
                + DockerContainerConfiguration.differences(old: [:], new: configuration.fields).map { "  \($0)\n" }.joined()
            guard applying else {
                return StepOutcome(status: .changed, message: (notes + ["would \(verb) container \(params.name) from image \(reference)"]).joined(separator: "; "), diff: diff)
            }
            let id = try await create(configuration)
            return StepOutcome(status: .changed, message: (notes + ["\(state == .started ? "created and started" : "created") container \(params.name) (id \(id.prefix(12))) from image \(reference)"]).joined(separator: "; "), diff: diff)
        }

        let changes = differences(existing, configuration, image: image)
        if !changes.isEmpty {
            let volumes = DockerAnonymousVolumePlan(old: existing, configuration: configuration, dropping: params.dropAnonymousVolumes ?? false)
            if let refusal = volumes.refusal(container: params.name) { throw refusal }
            let diff = "recreate container \(params.name) (id \(existing.id.prefix(12))):\n" + (changes + volumes.diffLines).map { "  \($0)\n" }.joined()
            guard applying else {
                return StepOutcome(status: .changed, message: (notes + ["would recreate container \(params.name): \(changes.joined(separator: "; "))"] + volumes.notes(applying: false)).joined(separator: "; "), diff: diff)
            }
            let id = try await replace(existing, with: configuration, carrying: volumes.binds)
            return StepOutcome(status: .changed, message: (notes + ["recreated container \(params.name) (id \(existing.id.prefix(12)) → \(id.prefix(12))): \(changes.joined(separator: "; "))"] + volumes.notes(applying: true)).joined(separator: "; "), diff: diff)
        }

        // Same configuration: only the running state may need a nudge.
        switch (state, existing.state.running) {
        case (.started, false):
            let diff = "start container \(params.name) (\(existing.state.status))\n"
            guard applying else { return StepOutcome(status: .changed, message: "would start container \(params.name)", diff: diff) }
            try await client.startContainer(existing.id)
            return StepOutcome(status: .changed, message: (notes + ["started container \(params.name)"]).joined(separator: "; "), diff: diff)
        case (.stopped, true):
            let diff = "stop container \(params.name) (running)\n"
            guard applying else { return StepOutcome(status: .changed, message: "would stop container \(params.name)", diff: diff) }
            try await client.stopContainer(existing.id, graceSeconds: stopGrace)
            return StepOutcome(status: .changed, message: (notes + ["stopped container \(params.name)"]).joined(separator: "; "), diff: diff)
        default:
            let what = "container \(params.name) is as wanted (\(existing.state.status))"
            if !applying, image == nil {
                // The image would be pulled first; a newer image would mean a recreate.
                return StepOutcome(status: .changed, message: (notes + [what]).joined(separator: "; "), diff: "pull image \(reference)\n")
            }
            return StepOutcome(status: .unchanged, message: (notes + [what]).joined(separator: "; "))
        }
    }

    /// What differs between a container and the wanted configuration, one readable line each.
    func differences(_ existing: DockerContainerInspect, _ configuration: DockerContainerConfiguration, image: DockerImageInspect?) -> [String] {
        var changes: [String] = []
        let labels = existing.config.labels
        if labels?[DockerContainerConfiguration.hashLabel] != configuration.hash {
            if let recorded = DockerContainerConfiguration.recordedFields(labels: labels) {
                changes = DockerContainerConfiguration.differences(old: recorded, new: configuration.fields)
            }
            if changes.isEmpty {
                changes = ["\(DockerContainerConfiguration.hashLabel): \(labels?[DockerContainerConfiguration.hashLabel].map { String($0.prefix(12)) } ?? "(none: not created by Shoal)") → \(configuration.hash.prefix(12))"]
            }
        }
        if let image, existing.image != image.id {
            changes.append("image id: \(Self.shortID(existing.image)) → \(Self.shortID(image.id)) (\(configuration.image) now names another image)")
        }
        return changes
    }

    /// `extraBinds` mount volumes carried over from a replaced container; they are not part
    /// of the configuration (nor its hash), so carrying them never causes a recreate.
    func create(_ configuration: DockerContainerConfiguration, extraBinds: [String] = []) async throws -> String {
        var body = configuration.createBody
        body.hostConfig.binds += extraBinds
        let id = try await client.createContainer(name: params.name, body: body)
        if state == .started {
            try await client.startContainer(id)
        }
        return id
    }

    /// Recreates without losing the service on a failed create: the old container is stopped
    /// (its ports freed) and set aside under another name, the new one is created and started,
    /// and only then is the old one removed. On failure the old one is put back as it was.
    /// The old one is removed without its volumes (no `v=true`): carried anonymous volumes
    /// live on in the new container, dropped ones stay on the node.
    func replace(_ existing: DockerContainerInspect, with configuration: DockerContainerConfiguration, carrying binds: [String]) async throws -> String {
        if existing.state.running {
            try await client.stopContainer(existing.id, graceSeconds: stopGrace)
        }
        let aside = "\(params.name)-shoal-replaced-\(Self.shortID(existing.id))"
        try await client.renameContainer(existing.id, to: aside)
        do {
            let id = try await create(configuration, extraBinds: binds)
            try await client.removeContainer(existing.id)
            return id
        } catch {
            if let made = try? await client.inspectContainer(params.name), made.id != existing.id {
                try? await client.removeContainer(made.id)
            }
            try? await client.renameContainer(existing.id, to: params.name)
            if existing.state.running { try? await client.startContainer(existing.id) }
            let reason = (error as? ShoalError)?.message ?? "\(error)"
            throw ShoalError((error as? ShoalError)?.code ?? .dockerAPIError, "recreating \(params.name) failed: \(reason); the old container was put back\(existing.state.running ? " and started again" : "")")
        }
    }

    /// Stops gracefully first (a database deserves its SIGTERM), then removes.
    func remove(_ existing: DockerContainerInspect) async throws {
        if existing.state.running {
            try await client.stopContainer(existing.id, graceSeconds: stopGrace)
        }
        try await client.removeContainer(existing.id)
    }

    static func shortID(_ id: String) -> String {
        let hex = id.hasPrefix("sha256:") ? id.dropFirst("sha256:".count) : Substring(id)
        return String(hex.prefix(12))
    }
}
