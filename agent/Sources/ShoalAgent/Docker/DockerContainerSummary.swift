/// One entry of `GET /containers/json`.
public struct DockerContainerSummary: Decodable, Sendable {
    public var id: String
    public var names: [String]
    public var state: String

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case names = "Names"
        case state = "State"
    }
}
