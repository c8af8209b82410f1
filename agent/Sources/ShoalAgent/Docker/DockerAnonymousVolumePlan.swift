import ShoalCore

/// What recreating a container does with the old container's anonymous volumes: the ones
/// Docker made for the image's `VOLUME` paths (or that an earlier recreate carried over).
///
/// A new container would get fresh, empty anonymous volumes, so the data a service keeps
/// in its image's `VOLUME` (a database's data folder) would silently stay behind. Instead
/// each one is mounted by name at the same path in the new container (what
/// `docker compose up` does on recreate). Where the new configuration mounts something else
/// at that path the volume cannot be carried; the recreate is refused unless the step says
/// `dropAnonymousVolumes: true`. Dropped volumes are never deleted: they stay on the node.
struct DockerAnonymousVolumePlan: Sendable {
    /// Mounted by name at the same path in the new container.
    var carried: [DockerContainerMount] = []
    /// Not mounted in the new container (`dropAnonymousVolumes`); left on the node.
    var dropped: [DockerContainerMount] = []
    /// The new configuration mounts another source (the `volumes` entry) at the volume's path.
    var blocked: [(mount: DockerContainerMount, entry: String)] = []

    init(old: DockerContainerInspect, configuration: DockerContainerConfiguration, dropping: Bool) {
        let entries = configuration.volumes.map { entry in
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            return (entry: entry, source: parts.first ?? "", destination: Self.normalizedPath(parts.count > 1 ? parts[1] : ""))
        }
        let anonymous = (old.mounts ?? []).filter(\.isAnonymousVolume).sorted { $0.destination < $1.destination }
        for mount in anonymous {
            // The step itself now mounts this volume by name: nothing is left behind.
            if entries.contains(where: { $0.source == mount.name }) { continue }
            if dropping {
                dropped.append(mount)
            } else if let entry = entries.first(where: { $0.destination == Self.normalizedPath(mount.destination) }) {
                blocked.append((mount, entry.entry))
            } else {
                carried.append(mount)
            }
        }
    }

    /// Binds to add to the new container: `NAME:/path`, `:ro` where the old mount was read-only.
    var binds: [String] {
        carried.compactMap { mount in
            mount.name.map { "\($0):\(mount.destination)\(mount.rw == false ? ":ro" : "")" }
        }
    }

    /// Short notes for the step's message: `keeping anonymous volume /data`.
    func notes(applying: Bool) -> [String] {
        carried.map { "\(applying ? "kept" : "keeping") anonymous volume \($0.destination)" }
            + dropped.map { "\(applying ? "dropped" : "dropping") anonymous volume \($0.destination) (volume \($0.name ?? "") stays on the node)" }
    }

    /// One diff line per volume, indented like the field lines.
    var diffLines: [String] {
        carried.map { "keep anonymous volume \($0.destination) (volume \(String(($0.name ?? "").prefix(12))))" }
            + dropped.map { "drop anonymous volume \($0.destination): the new container starts with an empty one; volume \($0.name ?? "") stays on the node (`docker volume rm` it when its data is no longer needed)" }
    }

    /// The refusal when a volume cannot be carried; nil when every volume is handled.
    func refusal(container: String) -> ShoalError? {
        guard !blocked.isEmpty else { return nil }
        let what = blocked.map { "\($0.mount.destination) (volume \($0.mount.name ?? "")), where the new configuration mounts '\($0.entry)'" }
        return ShoalError(.dockerAnonymousVolumeConflict, "container \(container) keeps data in anonymous volumes that recreating it cannot carry over: \(what.joined(separator: "; ")); nothing was changed — copy the data you need into the new source first (for example `docker run --rm --volumes-from \(container) -v SOURCE:/new IMAGE cp -a PATH/. /new/`), then set dropAnonymousVolumes: true to recreate without them (the old volumes stay on the node)")
    }

    /// `/data/` and `/data` are the same mount point.
    static func normalizedPath(_ path: String) -> String {
        var path = path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }
}

extension ShoalError.Code {
    /// A recreate would leave an anonymous volume's data behind: the new configuration
    /// mounts something else at its path, and `dropAnonymousVolumes` is not set.
    public static let dockerAnonymousVolumeConflict: Self = "docker.anonymous_volume_conflict"
}
