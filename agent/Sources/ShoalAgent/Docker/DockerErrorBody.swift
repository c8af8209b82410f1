/// The body of every error answer of the Engine API: `{"message": "..."}`.
struct DockerErrorBody: Decodable {
    var message: String
}
