import Metrics
import Hummingbird

/// Binds one coordinator's metrics factory for a request, so Hummingbird's `MetricsMiddleware`
/// (which only knows `MetricsSystem.factory`) records into this coordinator's registry.
///
/// Why not `MetricsSystem.bootstrap`: it may run once per process, and tests run several
/// coordinators in one process (and a bootstrapped global registry would mix their series).
/// swift-metrics' task-local factory (`withMetricsFactory`) gives each server its own. The
/// middleware creates its per-route metrics after the response body is written (in a
/// post-write closure, outside the middleware chain), so the body's write runs inside the
/// binding too. Must come before `MetricsMiddleware` in the chain.
struct MetricsFactoryScope<Context: RequestContext>: RouterMiddleware {
    let factory: any MetricsFactory

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await withMetricsFactory(factory) { try await next(request, context) }
        let body = response.body
        let factory = self.factory
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            // The writer is this response's alone and used by this one call; Hummingbird's
            // `write` is not nonsending, so the checker cannot see that it never escapes.
            nonisolated(unsafe) let inner = writer
            try await withMetricsFactory(factory) { try await body.write(inner) }
        }
        return response
    }
}
