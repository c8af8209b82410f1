import Hummingbird
import NIOCore

/// `GET /v1/openapi.json`: the API's OpenAPI 3.1 document, open without a client certificate
/// like `/v1/ca`. It is the same text in every coordinator binary of a release (compiled in
/// from `docs/openapi.json`, `OpenAPIDocument`) and says nothing about the fleet: which routes
/// exist is no secret (docs/security.md, "Mutual TLS on one port").
struct OpenAPIRoutes: Sendable {
    func add(to router: Router<CoordinatorRequestContext>) {
        router.get("/v1/openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json))
            )
        }
    }
}
