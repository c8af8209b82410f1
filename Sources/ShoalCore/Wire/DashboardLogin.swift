import Foundation

/// `POST /v1/dashboard/login`: a one-time link that opens a dashboard session for the caller.
public struct DashboardLoginResponse: Codable, Sendable {
    public var url: String
    public var expiresAt: Date

    public init(url: String, expiresAt: Date) {
        self.url = url
        self.expiresAt = expiresAt
    }
}
