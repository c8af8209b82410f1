import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import ShoalCore

extension APIClient {
    /// Largest error body read from a streamed route; the body of a success is never collected.
    static let maxStreamedErrorBytes = 1024 * 1024

    /// GETs `path` and hands the body of a 2xx answer to `consume` chunk by chunk as it arrives,
    /// so a large body (a node's full output, tens of MiB) is never held whole. An error answer
    /// is read (bounded) and thrown as the `ShoalError` the server sent; so is what `consume`
    /// throws.
    public func stream(_ path: String, timeout: TimeAmount, consume: (ByteBuffer) throws -> Void) async throws {
        let base = baseURL
        var request = HTTPClientRequest(url: base + path)
        request.method = .GET
        request.headers.add(name: "accept", value: "application/octet-stream, application/json")
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch {
            throw transportFailure(error, at: base)
        }
        guard (200..<300).contains(Int(response.status.code)) else {
            let body: ByteBuffer
            do { body = try await response.body.collect(upTo: Self.maxStreamedErrorBytes) } catch { throw transportFailure(error, at: base) }
            throw refusalMovingOn(status: response.status, body: Data(body.readableBytesView), method: .GET, path: path, at: base)
        }
        do {
            for try await chunk in response.body { try consume(chunk) }
        } catch let error as ShoalError {
            throw error
        } catch {
            throw transportFailure(error, at: base)
        }
    }
}
