import Foundation
import Hummingbird
import NIOCore
import ShoalCore

/// JSON in and out through `WireCoding`, so both sides agree on dates and key order.
enum JSONResponse {
    static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try WireCoding.encode(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

extension Request {
    /// Reads at most `limit` bytes and decodes them; too large is 413, malformed is 400.
    func decodeJSON<T: Decodable>(_ type: T.Type, limit: Int) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch {
            throw ShoalError(.bodyTooLarge, "request body is larger than the \(limit)-byte limit")
        }
        return try WireCoding.decode(type, from: Data(buffer.readableBytesView))
    }
}
