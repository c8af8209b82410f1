import Hummingbird
import Logging
import ShoalCore

/// Turns every error into `{"error": {"code", "message"}}` with a fitting status, so no
/// client ever has to parse a stack trace and no malformed request can crash the server.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = CoordinatorRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ShoalError {
            var response = try JSONResponse.make(APIErrorBody(error), status: Self.status(for: error.code))
            if let seconds = error.retryAfterSeconds { response.headers[.retryAfter] = String(seconds) }
            return response
        } catch let error as HTTPError {
            let code: ShoalError.Code = switch error.status.code {
            case 404: .notFound
            case 405: .notFound
            case 413: .bodyTooLarge
            case 400..<500: .badRequest
            default: .internalError
            }
            let message = error.body ?? (error.status.code == 404 ? "no such route: \(request.method) \(request.uri.path)" : error.status.reasonPhrase)
            return try JSONResponse.make(APIErrorBody(ShoalError(code, message)), status: error.status)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return try JSONResponse.make(
                APIErrorBody(ShoalError(.internalError, "internal error; the coordinator log has the details")),
                status: .internalServerError
            )
        }
    }

    static func status(for code: ShoalError.Code) -> HTTPResponse.Status {
        switch code {
        case .badRequest, .invalidArgument, .csrInvalid, .stepInvalid, .stepUnknownKind, .taskInvalid, .taskFileMissing, .bundleFileMissing, .stepUndefinedVariable: .badRequest
        case .clientCertificateRequired, .tokenInvalid, .tokenExpired: .unauthorized
        case .forbidden, .nodeRevoked, .certificateSuperseded, .certificateRevoked: .forbidden
        case .certificateExpired: .unauthorized
        case .tokenUsedUp, .conflict, .trustMissing: .conflict
        case .trustMalformed, .trustBadSignature, .trustRollback, .trustExpired, .trustWrongFleet, .trustRootMismatch, .taskExpired,
             .bundleMalformed, .bundleWrongType, .bundleBadSignature: .badRequest
        case .operatorUntrusted, .outOfScope, .labelsRefused: .forbidden
        case .rateLimited: .tooManyRequests
        case .notFound: .notFound
        case .bodyTooLarge: .contentTooLarge
        case .noNodesMatched: .unprocessableContent
        // The database is unreachable or failing from this replica: another may serve (an
        // agent with several coordinator URLs moves on after a 503).
        case .storage: .serviceUnavailable
        default: .internalServerError
        }
    }
}
