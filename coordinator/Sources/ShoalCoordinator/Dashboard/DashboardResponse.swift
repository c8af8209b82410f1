import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Responses for browsers: every page says not to be framed, cached, sniffed or to leak its
/// URL (a login link) in a Referer, and runs only the dashboard's own script and style.
enum DashboardResponse {
    static let policy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: policy, .cacheControl: "no-store", .xContentTypeOptions: "nosniff", .referrerPolicy: "no-referrer", .xFrameOptions: "DENY",
    ]

    static func make(_ body: String, status: HTTPResponse.Status = .ok, contentType: String = "text/html; charset=utf-8", extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: contentType]
        headers.append(contentsOf: securityHeaders)
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

extension HTTPField.Name {
    static let contentSecurityPolicy = Self("Content-Security-Policy")!
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let xFrameOptions = Self("X-Frame-Options")!
}
