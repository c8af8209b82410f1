/// The JSON body of every error response: `{"error": {"code": "...", "message": "..."}}`.
public struct APIErrorBody: Codable, Sendable {
    public struct Detail: Codable, Sendable {
        public var code: ShoalError.Code
        public var message: String
    }

    public var error: Detail

    public init(_ error: ShoalError) {
        self.error = Detail(code: error.code, message: error.message)
    }

    public var shoalError: ShoalError { ShoalError(error.code, error.message) }
}
