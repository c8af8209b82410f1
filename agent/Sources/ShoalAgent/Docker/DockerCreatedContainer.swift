/// The answer to `POST /containers/create`.
struct DockerCreatedContainer: Decodable {
    var id: String

    enum CodingKeys: String, CodingKey {
        case id = "Id"
    }
}
