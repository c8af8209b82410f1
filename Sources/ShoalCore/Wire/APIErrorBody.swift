/// The JSON body of every error response: `{"error": {"code": "...", "message": "..."}}`.
public struct APIErrorBody: Codable, Sendable {
    public struct Detail: Codable, Sendable {
        public var code: ShoalError.Code
        public var message: String
        /// Seconds to wait before retrying, on `request.rate_limited`.
        public var retryAfterSeconds: Int?
    }

    public var error: Detail

    public init(_ error: ShoalError) {
        self.error = Detail(code: error.code, message: error.message, retryAfterSeconds: error.retryAfterSeconds)
    }

    public var shoalError: ShoalError { ShoalError(error.code, error.message, retryAfterSeconds: error.retryAfterSeconds) }
}
