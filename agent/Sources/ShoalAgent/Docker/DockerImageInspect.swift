/// The part of `GET /images/{name}/json` Shoal uses.
public struct DockerImageInspect: Decodable, Sendable {
    /// The image id (`sha256:...`); a container made from this image records the same id.
    public var id: String
    public var repoTags: [String]?

    enum CodingKeys: String, CodingKey {
        case id = "Id"
        case repoTags = "RepoTags"
    }
}
