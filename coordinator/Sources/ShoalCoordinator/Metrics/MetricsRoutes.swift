import Foundation
import Hummingbird
import NIOCore

/// `GET /metrics`: the Prometheus text exposition of this coordinator and its fleet. On the
/// API listener it needs an operator certificate of any role (viewer or better); node
/// certificates are refused, so a compromised node cannot read the rest of the fleet. The
/// same answer is served without TLS on `metrics_listen` when that is set (`MetricsListener`).
struct MetricsRoutes: Sendable {
    let fleet: Fleet
    let notifier: WorkNotifier

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    func add(to router: Router<CoordinatorRequestContext>) {
        router.group().add(middleware: RequireOperatorMiddleware(roles: [.admin, .operator, .viewer]))
            .get("metrics") { _, _ in try await scrape() }
    }

    /// One scrape: this coordinator's kept series, then the fleet read afresh from one store
    /// snapshot. The two registries hold different metric names, so the text stays valid.
    func scrape() async throws -> Response {
        let snapshot = try await fleet.store.metricsSnapshot()
        let exporter = FleetMetricsExporter(snapshot: snapshot, openPolls: await notifier.openPolls, now: Date())
        var bytes: [UInt8] = []
        fleet.metrics.registry.emit(into: &bytes)
        exporter.registry().emit(into: &bytes)
        return Response(status: .ok, headers: [.contentType: Self.contentType], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
