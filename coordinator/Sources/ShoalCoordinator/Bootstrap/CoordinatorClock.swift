import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL

/// The coordinator's clock, read from the `Date` header of `GET /healthz`, as an offset from
/// this host's clock. Nodes are compared with the coordinator, not with the operator's laptop.
enum CoordinatorClock {
    static func offset(url: String, tls: TLSConfiguration) async -> TimeInterval? {
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(10))
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let before = Date()
        let response = try? await client.execute(HTTPClientRequest(url: url + "/healthz"), timeout: .seconds(10))
        let after = Date()
        try? await client.shutdown()
        guard let header = response?.headers.first(name: "date") else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let serverTime = formatter.date(from: header) else { return nil }
        // The header has whole seconds: +0.5 s centres it in the second it names.
        return serverTime.timeIntervalSince1970 + 0.5 - (before.timeIntervalSince1970 + after.timeIntervalSince(before) / 2)
    }
}
