/// `GET /version`: what the daemon is.
public struct DockerEngineVersion: Decodable, Sendable {
    public var version: String
    public var apiVersion: String

    enum CodingKeys: String, CodingKey {
        case version = "Version"
        case apiVersion = "ApiVersion"
    }
}
