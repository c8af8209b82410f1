import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import ShoalCore
import Synchronization

/// The one HTTPS+JSON client both the agent and the operator CLI use to talk to the
/// coordinator. Non-2xx answers become the `ShoalError` the server sent; transport
/// failures become `net.unreachable` naming the URL; a request stopped because its task was
/// cancelled (agent shutdown) throws `CancellationError`, never a failure.
///
/// Given several coordinator URLs (an agent's `coordinator_urls`), it sends to one at a time
/// and moves to the next when a request cannot reach it (see `APIClient+Failover.swift`).
public final class APIClient: Sendable {
    let endpoints: Mutex<CoordinatorEndpoints>
    /// Told when a transport failure moved the client to another URL: (from, to, why).
    let onMove: (@Sendable (String, String, ShoalError) -> Void)?
    private let current: Mutex<HTTPClient>
    var http: HTTPClient { current.withLock { $0 } }
    /// Largest response body read, so a confused peer cannot exhaust memory.
    private let maxResponseBytes = 32 * 1024 * 1024

    public convenience init(baseURL: String, tls: TLSConfiguration) {
        self.init(endpoints: CoordinatorEndpoints(url: baseURL), tls: tls)
    }

    /// `onMove` is called after a request failed to reach the current URL and the client moved
    /// to the next one; the failed request still throws, and the caller's retry uses the next.
    public init(endpoints: CoordinatorEndpoints, tls: TLSConfiguration, onMove: (@Sendable (_ from: String, _ to: String, _ reason: ShoalError) -> Void)? = nil) {
        self.endpoints = Mutex(endpoints)
        self.onMove = onMove
        self.current = Mutex(Self.makeHTTPClient(tls: tls))
    }

    /// The coordinator URL requests go to now.
    public var baseURL: String { endpoints.withLock { $0.current } }

    static func makeHTTPClient(tls: TLSConfiguration) -> HTTPClient {
        var tls = tls
        // Closing a connection waits this long for the coordinator's TLS close_notify. A
        // long poll's connection never gets one (the server is still holding the request), so
        // NIOSSL's default of 5 s held every agent stop for 5 s. Nothing more is read after a
        // close, so a short wait loses nothing.
        tls.shutdownTimeout = .milliseconds(200)
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(10))
        // Close idle connections before the server's idle timeout (75 s by default) does, so
        // a request is never sent on a connection the server is closing.
        configuration.connectionPool.idleTimeout = .seconds(30)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Uses new TLS settings (a renewed certificate) for every request from now on. The old
    /// connections are closed after `drain`, time enough for a long poll in flight to end.
    public func replaceTLS(_ tls: TLSConfiguration, drain: Duration = .seconds(90)) {
        let old = current.withLock { client in
            let old = client
            client = Self.makeHTTPClient(tls: tls)
            return old
        }
        Task {
            try? await Task.sleep(for: drain)
            try? await old.shutdown()
        }
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    public func get<Response: Decodable>(_ path: String, as type: Response.Type = Response.self, timeout: TimeAmount = .seconds(30)) async throws -> Response {
        let data = try await send(method: .GET, path: path, body: nil, timeout: timeout)
        return try decodeResponse(type, data)
    }

    public func post<Body: Encodable, Response: Decodable>(
        _ path: String, body: Body, as type: Response.Type = Response.self, timeout: TimeAmount = .seconds(30)
    ) async throws -> Response {
        let data = try await send(method: .POST, path: path, body: WireCoding.encode(body), timeout: timeout)
        return try decodeResponse(type, data)
    }

    /// Sends raw bytes; returns the body of a 2xx answer.
    public func send(method: HTTPMethod, path: String, body: Data?, timeout: TimeAmount, contentType: String = "application/json") async throws -> Data {
        let base = baseURL
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "accept", value: "application/json")
        if let body {
            request.headers.add(name: "content-type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await http.execute(request, timeout: timeout)
            bytes = try await response.body.collect(upTo: maxResponseBytes)
        } catch let error as ShoalError {
            throw error
        } catch {
            throw transportFailure(error, at: base)
        }
        let data = Data(bytes.readableBytesView)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw refusalMovingOn(status: response.status, body: data, method: method, path: path, at: base)
        }
        return data
    }

    /// `CancellationError` when `error` is the request being stopped by its task's cancellation
    /// (AsyncHTTPClient reports that as `HTTPClientError.cancelled`), so callers can tell a
    /// shutdown from an unreachable coordinator and neither log it nor back off after it.
    static func cancellation(_ error: any Error) -> CancellationError? {
        if let error = error as? CancellationError { return error }
        if let error = error as? HTTPClientError, error == .cancelled { return CancellationError() }
        // Whatever the transport says, a request whose task was cancelled ended because of it.
        return Task.isCancelled ? CancellationError() : nil
    }

    /// What a transport error on a request to `base` becomes: a cancellation stays one,
    /// anything else is unreachable and moves the client on to its next URL, if it has one.
    func transportFailure(_ error: any Error, at base: String) -> any Error {
        if let cancellation = Self.cancellation(error) { return cancellation }
        let failure = ShoalError(.unreachable, "cannot talk to the coordinator at \(base): \(Self.describe(error)); check that it is running, that the URL is right, and that this host trusts its CA")
        moveOn(from: base, because: failure)
        return failure
    }

    /// The error a non-2xx answer carries, or a plain one naming the status when it has none.
    static func refusal(status: HTTPResponseStatus, body: Data, method: HTTPMethod, path: String) -> ShoalError {
        if let error = try? WireCoding.decoder().decode(APIErrorBody.self, from: body) { return error.shoalError }
        return ShoalError(.internalError, "coordinator answered \(status.code) to \(method) \(path) without an error body")
    }

    private func decodeResponse<Response: Decodable>(_ type: Response.Type, _ data: Data) throws -> Response {
        do {
            return try WireCoding.decoder().decode(type, from: data)
        } catch {
            throw ShoalError(.internalError, "coordinator sent a \(Response.self) this client cannot read: \(error)")
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? NIOSSLError { return "TLS error: \(error)" }
        if let error = error as? BoringSSLError { return "TLS error: \(error)" }
        if let error = error as? HTTPClientError { return "\(error)" }
        return String(describing: error)
    }
}
