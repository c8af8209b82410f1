/// The body of `POST /containers/create` (Engine API v1.41), only the fields Shoal sets.
public struct DockerContainerCreateBody: Codable, Sendable, Equatable {
    public var image: String
    public var cmd: [String]?
    public var env: [String]
    public var labels: [String: String]
    public var exposedPorts: [String: EmptyObject]
    public var hostConfig: HostConfig

    /// Docker's `{}` values (e.g. in `ExposedPorts`).
    public struct EmptyObject: Codable, Sendable, Equatable {
        public init() {}
    }

    public struct HostConfig: Codable, Sendable, Equatable {
        public var binds: [String]
        public var portBindings: [String: [PortBinding]]
        public var restartPolicy: RestartPolicy
        public var networkMode: String?
        public var deviceRequests: [DeviceRequest]

        enum CodingKeys: String, CodingKey {
            case binds = "Binds"
            case portBindings = "PortBindings"
            case restartPolicy = "RestartPolicy"
            case networkMode = "NetworkMode"
            case deviceRequests = "DeviceRequests"
        }
    }

    public struct PortBinding: Codable, Sendable, Equatable {
        public var hostIP: String?
        public var hostPort: String?

        public init(hostIP: String?, hostPort: String?) {
            self.hostIP = hostIP
            self.hostPort = hostPort
        }

        enum CodingKeys: String, CodingKey {
            case hostIP = "HostIp"
            case hostPort = "HostPort"
        }
    }

    public struct RestartPolicy: Codable, Sendable, Equatable {
        public var name: String
        public var maximumRetryCount: Int?

        public init(name: String, maximumRetryCount: Int?) {
            self.name = name
            self.maximumRetryCount = maximumRetryCount
        }

        enum CodingKeys: String, CodingKey {
            case name = "Name"
            case maximumRetryCount = "MaximumRetryCount"
        }
    }

    /// A request for devices such as GPUs (`docker run --gpus`): `count` -1 means all.
    public struct DeviceRequest: Codable, Sendable, Equatable {
        public var driver: String?
        public var count: Int?
        public var capabilities: [[String]]?

        public init(driver: String?, count: Int?, capabilities: [[String]]?) {
            self.driver = driver
            self.count = count
            self.capabilities = capabilities
        }

        enum CodingKeys: String, CodingKey {
            case driver = "Driver"
            case count = "Count"
            case capabilities = "Capabilities"
        }
    }

    enum CodingKeys: String, CodingKey {
        case image = "Image"
        case cmd = "Cmd"
        case env = "Env"
        case labels = "Labels"
        case exposedPorts = "ExposedPorts"
        case hostConfig = "HostConfig"
    }
}
