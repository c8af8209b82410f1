/// One entry of a container's `Mounts` in `GET /containers/{name}/json`.
public struct DockerContainerMount: Decodable, Sendable, Equatable {
    /// `bind`, `volume`, `tmpfs`, ...
    public var type: String
    /// The volume's name (`volume` only): the name given in the spec, or 64 random hex
    /// digits for an anonymous volume (an image's `VOLUME` nobody mounted anything at).
    public var name: String?
    /// Where the data lies on the host.
    public var source: String?
    public var destination: String
    public var rw: Bool?

    public init(type: String, name: String?, source: String?, destination: String, rw: Bool?) {
        self.type = type
        self.name = name
        self.source = source
        self.destination = destination
        self.rw = rw
    }

    /// A volume Docker named itself: 64 lowercase hex digits, the form of its random ids.
    /// A volume Shoal carried over from an earlier container keeps that name, so it stays
    /// anonymous (and is carried again) at every later recreate.
    public var isAnonymousVolume: Bool {
        guard type == "volume", let name, name.utf8.count == 64 else { return false }
        return name.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }

    enum CodingKeys: String, CodingKey {
        case type = "Type"
        case name = "Name"
        case source = "Source"
        case destination = "Destination"
        case rw = "RW"
    }
}
