import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import ShoalCore

/// The optional plain-HTTP listener (`metrics_listen`) for a Prometheus without a client
/// certificate. It serves `GET /metrics` and nothing else, so it can never reach an API
/// route; but it has no authentication at all (docs/security.md): bind it to loopback or a
/// monitoring network. Runs as one of the API application's services.
enum MetricsListener {
    /// Prometheus keeps one connection per target; a few more allow a second scraper and a human.
    static let maxConnections = 16

    static func makeApplication(routes: MetricsRoutes, listen: HostPort, idleTimeoutSeconds: Int, logger: Logger) -> some Service {
        let router = Router()
        router.get("metrics") { _, _ in try await routes.scrape() }
        return Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(idleTimeoutSeconds)))),
            configuration: .init(
                address: .hostname(listen.host, port: listen.port), serverName: "shoal-coordinator",
                availableConnectionsDelegate: .maximum(maxConnections, logger: logger)
            ),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? listen.port
                logger.notice("metrics listening on \(listen.host):\(port) (plain HTTP, GET /metrics only)")
            },
            logger: logger
        )
    }
}
