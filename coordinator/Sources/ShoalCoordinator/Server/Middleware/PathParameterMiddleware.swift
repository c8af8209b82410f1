import Hummingbird
import ShoalCore

/// Percent-decodes every path parameter (`{name}`, `{id}`, `{node}`, …) once, for every
/// route, before any other middleware or handler reads it: `/v1/schedules/..%2Fetc` names
/// the schedule `../etc`, as the client meant. The router matched on the raw path, so a
/// decoded `/` never selects another route. A malformed escape (`%zz`) is `400
/// request.malformed`.
struct PathParameterMiddleware: RouterMiddleware {
    typealias Context = CoordinatorRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard context.parameters.contains(where: { $0.value.contains("%") }) else {
            return try await next(request, context)
        }
        var decoded = Parameters()
        for (key, value) in context.parameters {
            guard let text = String(value).removingPercentEncoding else {
                throw ShoalError(.badRequest, "path segment '\(value.prefix(100))' is not valid percent-encoding")
            }
            decoded.append(key: key, value: Substring(text))
        }
        var context = context
        context.coreContext.parameters = decoded
        return try await next(request, context)
    }
}
