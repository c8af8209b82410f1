/// The part of `GET /containers/{name}/json` Shoal uses.
public struct DockerContainerInspect: Decodable, Sendable {
    public var id: String
    public var name: String
    /// The image id the container was created from (`sha256:...`).
    public var image: String
    public var state: State
    public var config: Config
    public var hostConfig: HostConfig
    /// What is mounted where, volumes from the image's `VOLUME` included.
    public var mounts: [DockerContainerMount]?

    public struct State: Decodable, Sendable {
        public var status: String
        public var running: Bool

        enum CodingKeys: String, CodingKey {
            case status = "Status"
            case running = "Running"
        }
    }

    public struct Config: Decodable, Sendable {
        public var image: String?
        public var cmd: [String]?
        public var env: [String]?
        public var labels: [String: String]?

        enum CodingKeys: String, CodingKey {
            case image = "Image"
            case cmd = "Cmd"
            case env = "Env"
            case labels = "Labels"
        }
    }

    public struct HostConfig: Decodable, Sendable {
        public var networkMode: String?
        public var binds: [String]?
        public var restartPolicy: DockerContainerCreateBody.RestartPolicy?
        public var deviceRequests: [DockerContainerCreateBody.DeviceRequest]?
        public var portBindings: [String: [DockerContainerCreateBody.PortBinding]]?

        enum CodingKeys: String, CodingKey {
            case networkMode = "NetworkMode"
            case binds = "Binds"
            case restartPolicy = "RestartPolicy"
            case deviceRequests = "DeviceRequests"
            case portBindings = "PortBindings"
        }
    }

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case name = "Name"
        case image = "Image"
        case state = "State"
        case config = "Config"
        case hostConfig = "HostConfig"
        case mounts = "Mounts"
    }
}
