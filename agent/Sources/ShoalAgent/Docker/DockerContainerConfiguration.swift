import Foundation
import ShoalCore

/// The configuration a `docker_container` step wants, validated, in two forms: the Engine
/// API create body, and a flat map of named fields (`env.PORT`, `ports`, ...).
///
/// The map, as sorted JSON, is stored in the container's `io.shoal.config` label and its
/// SHA-256 in `io.shoal.config-hash`. Comparing hashes decides whether to recreate, and
/// comparing the maps gives check mode a field-by-field diff, without guessing which of
/// the daemon's defaults (image env, default labels) the author meant.
public struct DockerContainerConfiguration: Sendable, Equatable {
    public static let hashLabel = "io.shoal.config-hash"
    public static let configLabel = "io.shoal.config"

    public var image: DockerImageReference
    public var command: [String]?
    public var env: [String: String]
    public var ports: [String]
    public var volumes: [String]
    public var restartPolicy: String
    public var gpus: DockerGPURequest?
    public var networkMode: String?
    public var labels: [String: String]

    public init(
        image: DockerImageReference, command: [String]? = nil, env: [String: String] = [:], ports: [String] = [],
        volumes: [String] = [], restartPolicy: String = "no", gpus: DockerGPURequest? = nil, networkMode: String? = nil,
        labels: [String: String] = [:]
    ) throws {
        self.image = image
        self.command = command
        self.env = env
        self.ports = try ports.map(Self.normalizedPort)
        self.volumes = try volumes.map(Self.validatedVolume)
        self.restartPolicy = try Self.validatedRestartPolicy(restartPolicy)
        self.gpus = gpus
        self.networkMode = networkMode
        self.labels = labels
        if let command, command.isEmpty {
            throw ShoalError(.stepInvalid, "command is an empty list; leave it out to use the image's default command")
        }
        if let reserved = labels.keys.first(where: { $0.hasPrefix("io.shoal.") }) {
            throw ShoalError(.stepInvalid, "label '\(reserved)' is reserved: Shoal keeps its own bookkeeping under io.shoal.*")
        }
        if let bad = env.keys.first(where: { $0.isEmpty || $0.contains("=") }) {
            throw ShoalError(.stepInvalid, "env name '\(bad)' is not a variable name (empty or contains '=')")
        }
    }

    // MARK: Fields, hash, diff

    /// Every setting as one named text field; absent settings have no field.
    public var fields: [String: String] {
        var fields: [String: String] = ["image": image.description, "restartPolicy": restartPolicy]
        if let command { fields["command"] = Self.jsonText(command) }
        for (key, value) in env { fields["env.\(key)"] = value }
        for (key, value) in labels { fields["label.\(key)"] = value }
        if !ports.isEmpty { fields["ports"] = ports.sorted().joined(separator: ", ") }
        if !volumes.isEmpty { fields["volumes"] = volumes.sorted().joined(separator: ", ") }
        if let gpus { fields["gpus"] = gpus.description }
        if let networkMode { fields["networkMode"] = networkMode }
        return fields
    }

    /// The fields as sorted JSON: what the `io.shoal.config` label holds.
    public var fieldsJSON: String { Self.jsonText(fields) }

    public var hash: String { Data(fieldsJSON.utf8).sha256Hex }

    /// The fields recorded on a container by an earlier apply; nil when it has none.
    public static func recordedFields(labels: [String: String]?) -> [String: String]? {
        guard let text = labels?[configLabel] else { return nil }
        return try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))
    }

    /// One line per differing field: `env.PORT: 8080 → 9090`, sorted by field name.
    public static func differences(old: [String: String], new: [String: String]) -> [String] {
        Set(old.keys).union(new.keys).sorted().compactMap { key in
            let before = old[key], after = new[key]
            guard before != after else { return nil }
            return "\(key): \(before ?? "(unset)") → \(after ?? "(unset)")"
        }
    }

    // MARK: Engine API body

    public var createBody: DockerContainerCreateBody {
        var allLabels = labels
        allLabels[Self.configLabel] = fieldsJSON
        allLabels[Self.hashLabel] = hash
        var exposed: [String: DockerContainerCreateBody.EmptyObject] = [:]
        var bindings: [String: [DockerContainerCreateBody.PortBinding]] = [:]
        for port in ports {
            let mapping = Self.portMapping(port)
            exposed[mapping.containerPort] = .init()
            if let hostPort = mapping.hostPort {
                bindings[mapping.containerPort, default: []].append(.init(hostIP: mapping.hostIP ?? "", hostPort: hostPort))
            }
        }
        let policy: DockerContainerCreateBody.RestartPolicy
        if restartPolicy.hasPrefix("on-failure:"), let count = Int(restartPolicy.dropFirst("on-failure:".count)) {
            policy = .init(name: "on-failure", maximumRetryCount: count)
        } else {
            policy = .init(name: restartPolicy, maximumRetryCount: 0)
        }
        return DockerContainerCreateBody(
            image: image.description,
            cmd: command,
            env: env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" },
            labels: allLabels,
            exposedPorts: exposed,
            hostConfig: .init(
                binds: volumes, portBindings: bindings, restartPolicy: policy, networkMode: networkMode,
                deviceRequests: gpus.map { [$0.deviceRequest] } ?? []
            )
        )
    }

    // MARK: Validation

    /// `[hostIP:]hostPort:containerPort[/proto]` or `containerPort[/proto]`, with the protocol made explicit.
    static func normalizedPort(_ text: String) throws -> String {
        let invalid = ShoalError(.stepInvalid, "port '\(text)' is not like \"8080:80/tcp\", \"127.0.0.1:8080:80\" or \"80/udp\"")
        let pieces = text.split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count <= 2 else { throw invalid }
        let proto = pieces.count == 2 ? String(pieces[1]) : "tcp"
        guard ["tcp", "udp", "sctp"].contains(proto) else { throw invalid }
        let parts = pieces[0].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count), let last = parts.last, isPort(last) else { throw invalid }
        if parts.count >= 2, !isPort(parts[parts.count - 2]) { throw invalid }
        if parts.count == 3, parts[0].isEmpty { throw invalid }
        return parts.joined(separator: ":") + "/" + proto
    }

    static func isPort(_ text: String) -> Bool {
        guard let number = Int(text) else { return false }
        return (1...65535).contains(number)
    }

    /// Splits a normalized port into the API's pieces.
    static func portMapping(_ normalized: String) -> (containerPort: String, hostPort: String?, hostIP: String?) {
        let pieces = normalized.split(separator: "/")
        let proto = pieces.count == 2 ? String(pieces[1]) : "tcp"
        let parts = pieces[0].split(separator: ":").map(String.init)
        let container = "\(parts.last ?? "")/\(proto)"
        switch parts.count {
        case 3: return (container, parts[1], parts[0])
        case 2: return (container, parts[0], nil)
        default: return (container, nil, nil)
        }
    }

    /// `/host:/container[:options]` or `volume-name:/container[:options]`.
    static func validatedVolume(_ text: String) throws -> String {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count), !parts[0].isEmpty, parts[1].hasPrefix("/"), parts.count == 2 || !parts[2].isEmpty else {
            throw ShoalError(.stepInvalid, "volume '\(text)' is not like \"/srv/data:/data\" or \"/srv/conf:/etc/app:ro\"")
        }
        return text
    }

    static func validatedRestartPolicy(_ text: String) throws -> String {
        if ["no", "always", "unless-stopped", "on-failure"].contains(text) { return text }
        if text.hasPrefix("on-failure:"), let count = Int(text.dropFirst("on-failure:".count)), count > 0 { return text }
        throw ShoalError(.stepInvalid, "restartPolicy '\(text)' must be no, always, unless-stopped, on-failure or on-failure:N")
    }

    static func jsonText<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}
