import Foundation
import ShoalCore

/// An image reference split the way the Engine API wants it for a pull: repository plus a
/// tag or digest. A reference without either means `latest`, as with `docker pull`; sending
/// no tag to the API would instead pull every tag of the repository.
public struct DockerImageReference: Sendable, Equatable, CustomStringConvertible {
    public var repository: String
    /// A tag (`1.27`) or a digest (`sha256:...`).
    public var tagOrDigest: String

    public init(_ text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, !trimmed.contains(" ") else {
            throw ShoalError(.stepInvalid, "image '\(text)' is not an image reference like 'nginx:1.27' or 'registry.example.com/team/app@sha256:...'")
        }
        if let at = trimmed.firstIndex(of: "@") {
            repository = String(trimmed[..<at])
            tagOrDigest = String(trimmed[trimmed.index(after: at)...])
        } else {
            // A colon after the last slash is a tag; one before it belongs to a registry port.
            let lastSlash = trimmed.lastIndex(of: "/") ?? trimmed.startIndex
            if let colon = trimmed[lastSlash...].lastIndex(of: ":") {
                repository = String(trimmed[..<colon])
                tagOrDigest = String(trimmed[trimmed.index(after: colon)...])
            } else {
                repository = trimmed
                tagOrDigest = "latest"
            }
        }
        guard !repository.isEmpty, !tagOrDigest.isEmpty else {
            throw ShoalError(.stepInvalid, "image '\(text)' has an empty repository, tag or digest")
        }
    }

    public var isDigest: Bool { tagOrDigest.contains(":") }

    /// `repository:tag` or `repository@digest`, the form the daemon resolves locally.
    public var description: String { isDigest ? "\(repository)@\(tagOrDigest)" : "\(repository):\(tagOrDigest)" }
}
