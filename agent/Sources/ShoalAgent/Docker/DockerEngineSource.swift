/// Where the engine comes from.
public enum DockerEngineSource: String, Codable, Sendable {
    /// The distribution's `docker.io` package.
    case distro
    /// Docker's own apt repository (`docker-ce`).
    case upstream

    public var packages: [String] {
        switch self {
        case .distro: ["docker.io"]
        case .upstream: ["docker-ce", "docker-ce-cli", "containerd.io", "docker-buildx-plugin", "docker-compose-plugin"]
        }
    }
}
