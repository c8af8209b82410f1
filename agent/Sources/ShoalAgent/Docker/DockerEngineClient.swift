import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import ShoalCore

/// A small Docker Engine API client over the daemon's unix socket (API v1.41, Docker 20.10+).
///
/// It speaks HTTP to the socket directly instead of scraping the `docker` CLI, so errors
/// come back as the daemon's own JSON `message`. Transport failures become
/// `docker.unreachable` naming the socket; answers the daemon refused become
/// `docker.api_error` carrying its message.
public struct DockerEngineClient: Sendable {
    public static let apiVersion = "v1.41"
    public static let defaultSocket = "/var/run/docker.sock"

    public let socketPath: String
    /// Largest JSON answer read, so a confused peer cannot exhaust memory.
    let maxResponseBytes = 16 * 1024 * 1024

    public init(socketPath: String = Self.defaultSocket) {
        self.socketPath = socketPath
    }

    // MARK: System

    /// `GET /_ping`; throws `docker.unreachable` when nothing answers.
    public func ping() async throws {
        if let reason = UnixSocketProbe.failure(connectingTo: socketPath) {
            throw unreachable(reason)
        }
        _ = try await request(.GET, "/_ping", timeout: .seconds(10))
    }

    /// `GET /version`: the engine's version and API version.
    public func version() async throws -> DockerEngineVersion {
        try decode(DockerEngineVersion.self, from: try await request(.GET, "/version", timeout: .seconds(10)))
    }

    // MARK: Images

    /// `GET /images/{name}/json`; nil when the daemon has no such image.
    public func inspectImage(_ reference: String) async throws -> DockerImageInspect? {
        let answer = try await request(.GET, "/images/\(Self.pathComponent(reference))/json", timeout: .seconds(30), allowNotFound: true)
        return try answer.map { try decode(DockerImageInspect.self, from: $0) }
    }

    /// `POST /images/create?fromImage=&tag=`. The daemon answers 200 and then streams
    /// progress; a failure part-way arrives as an `error` line in that stream, so the whole
    /// stream is read and its first error thrown.
    public func pullImage(_ reference: DockerImageReference, timeout: Duration) async throws {
        let query = "fromImage=\(Self.queryValue(reference.repository))&tag=\(Self.queryValue(reference.tagOrDigest))"
        try await streamingRequest(.POST, "/images/create?\(query)", body: nil, contentType: nil, timeout: timeout)
    }

    /// `POST /images/create?fromSrc=-`: makes an image from a root filesystem tarball;
    /// `changes` are Dockerfile instructions applied to it (`VOLUME /data`), as `docker import --change`.
    public func importImage(tarball: Data, repository: String, tag: String, changes: [String] = [], timeout: Duration = .seconds(120)) async throws {
        let query = "fromSrc=-&repo=\(Self.queryValue(repository))&tag=\(Self.queryValue(tag))"
            + changes.map { "&changes=\(Self.queryValue($0))" }.joined()
        try await streamingRequest(.POST, "/images/create?\(query)", body: tarball, contentType: "application/x-tar", timeout: timeout)
    }

    // MARK: Containers

    /// `GET /containers/{name}/json`; nil when there is no such container.
    public func inspectContainer(_ nameOrID: String) async throws -> DockerContainerInspect? {
        let answer = try await request(.GET, "/containers/\(Self.pathComponent(nameOrID))/json", timeout: .seconds(30), allowNotFound: true)
        return try answer.map { try decode(DockerContainerInspect.self, from: $0) }
    }

    /// `POST /containers/create?name=`; returns the new container's id.
    public func createContainer(name: String, body: DockerContainerCreateBody) async throws -> String {
        let data = try JSONEncoder().encode(body)
        let answer = try await request(.POST, "/containers/create?name=\(Self.queryValue(name))", body: data, timeout: .seconds(60))
        return try decode(DockerCreatedContainer.self, from: answer ?? Data()).id
    }

    /// `POST /containers/{id}/start` (a 304 "already started" is fine).
    public func startContainer(_ id: String) async throws {
        _ = try await request(.POST, "/containers/\(Self.pathComponent(id))/start", timeout: .seconds(60))
    }

    /// `POST /containers/{id}/stop?t=`: SIGTERM, then SIGKILL after `graceSeconds` (304 "already stopped" is fine).
    public func stopContainer(_ id: String, graceSeconds: Int) async throws {
        let timeout = Duration.seconds(graceSeconds + 30)
        _ = try await request(.POST, "/containers/\(Self.pathComponent(id))/stop?t=\(graceSeconds)", timeout: timeout)
    }

    /// `POST /containers/{id}/rename?name=`.
    public func renameContainer(_ id: String, to name: String) async throws {
        _ = try await request(.POST, "/containers/\(Self.pathComponent(id))/rename?name=\(Self.queryValue(name))", timeout: .seconds(30))
    }

    /// `DELETE /containers/{id}?force=true`; a container already gone is fine. Its volumes,
    /// anonymous ones included, are kept (no `v=true`): data is never removed with a container.
    public func removeContainer(_ id: String) async throws {
        _ = try await request(.DELETE, "/containers/\(Self.pathComponent(id))?force=true", timeout: .seconds(60), allowNotFound: true)
    }

    /// `GET /containers/json?all=true`: every container, running or not.
    public func listContainers() async throws -> [DockerContainerSummary] {
        try decode([DockerContainerSummary].self, from: try await request(.GET, "/containers/json?all=true", timeout: .seconds(30)) ?? Data())
    }

    // MARK: Transport

    /// Sends one request; returns the body of a 2xx/304 answer, nil for an allowed 404.
    func request(_ method: HTTPMethod, _ path: String, body: Data? = nil, timeout: Duration, allowNotFound: Bool = false) async throws -> Data? {
        let response = try await send(method, path, body: body, contentType: body == nil ? nil : "application/json", timeout: timeout)
        let bytes: ByteBuffer
        do {
            bytes = try await response.body.collect(upTo: maxResponseBytes)
        } catch {
            throw unreachable(error)
        }
        let data = Data(bytes.readableBytesView)
        let status = Int(response.status.code)
        if status == 404 && allowNotFound { return nil }
        guard (200..<300).contains(status) || status == 304 else {
            throw apiError(status: status, body: data, method: method, path: path)
        }
        return data
    }

    /// Sends a request whose answer is a stream of JSON progress lines; throws the first `error` line.
    func streamingRequest(_ method: HTTPMethod, _ path: String, body: Data?, contentType: String?, timeout: Duration) async throws {
        let response = try await send(method, path, body: body, contentType: contentType, timeout: timeout)
        let status = Int(response.status.code)
        var pending = Data()
        var firstError: String?
        var errorBody = Data()
        do {
            for try await chunk in response.body {
                guard (200..<300).contains(status) else {
                    if errorBody.count < 64 * 1024 { errorBody.append(contentsOf: chunk.readableBytesView) }
                    continue
                }
                pending.append(contentsOf: chunk.readableBytesView)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = pending[pending.startIndex..<newline]
                    pending = Data(pending[pending.index(after: newline)...])
                    if firstError == nil { firstError = Self.streamError(in: line) }
                }
            }
        } catch {
            throw unreachable(error)
        }
        guard (200..<300).contains(status) else {
            throw apiError(status: status, body: errorBody, method: method, path: path)
        }
        if firstError == nil { firstError = Self.streamError(in: pending) }
        if let firstError {
            throw ShoalError(.dockerAPIError, "the Docker daemon at \(socketPath) reported: \(firstError)")
        }
    }

    private func send(_ method: HTTPMethod, _ path: String, body: Data?, contentType: String?, timeout: Duration) async throws -> HTTPClientResponse {
        guard let url = URL(httpURLWithSocketPath: socketPath, uri: "/\(Self.apiVersion)\(path)") else {
            throw ShoalError(.dockerUnreachable, "the Docker socket path '\(socketPath)' cannot be used in a URL; give the 'socket' parameter as an absolute path")
        }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = method
        // The client would send the socket path as Host, which dockerd (Go) rejects as malformed.
        request.headers.add(name: "host", value: "localhost")
        request.headers.add(name: "accept", value: "application/json")
        if let body {
            request.headers.add(name: "content-type", value: contentType ?? "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            return try await HTTPClient.shared.execute(request, timeout: TimeAmount.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000))
        } catch {
            throw unreachable(error)
        }
    }

    func unreachable(_ error: any Error) -> ShoalError {
        if let error = error as? ShoalError { return error }
        return unreachable("\(error)")
    }

    func unreachable(_ reason: String) -> ShoalError {
        ShoalError(.dockerUnreachable, "cannot reach the Docker daemon at unix socket \(socketPath) (\(reason)); check that Docker is installed and running (`systemctl status docker`, or add a docker_engine step before this one) and that the step's 'socket' parameter names the daemon's socket")
    }

    func apiError(status: Int, body: Data, method: HTTPMethod, path: String) -> ShoalError {
        let message = (try? JSONDecoder().decode(DockerErrorBody.self, from: body))?.message
            ?? String(decoding: body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let endpoint = path.split(separator: "?").first.map(String.init) ?? path
        return ShoalError(.dockerAPIError, "the Docker daemon refused \(method.rawValue) \(endpoint) (HTTP \(status)): \(message)")
    }

    func decode<T: Decodable>(_ type: T.Type, from data: Data?) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data ?? Data())
        } catch {
            throw ShoalError(.dockerAPIError, "the Docker daemon at \(socketPath) sent an answer that is not a \(T.self): \(error)")
        }
    }

    /// The `error` of one progress line, if it is one.
    static func streamError(in line: Data) -> String? {
        guard !line.isEmpty, let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else { return nil }
        if let error = object["error"] as? String { return error }
        if let detail = object["errorDetail"] as? [String: Any], let message = detail["message"] as? String { return message }
        return nil
    }

    /// Names and ids go into the path as they are, minus anything that would change its meaning.
    static func pathComponent(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func queryValue(_ text: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+?#%")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

extension ShoalError.Code {
    /// Nothing answers on the Docker socket.
    public static let dockerUnreachable: Self = "docker.unreachable"
    /// The daemon answered with an error; the message carries its own words.
    public static let dockerAPIError: Self = "docker.api_error"
    /// The image is not on the node and could not be pulled (or pulling is off).
    public static let dockerImageUnavailable: Self = "docker.image_unavailable"
    /// Installing or configuring the Docker engine failed.
    public static let dockerEngineFailed: Self = "docker.engine_failed"
}
