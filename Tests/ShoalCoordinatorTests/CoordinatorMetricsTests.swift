import Foundation
import Metrics
import ShoalCore
import ShoalTestSupport
import Testing

@testable import ShoalCoordinator

/// The series a coordinator keeps between scrapes: Hummingbird's request metrics under
/// Prometheus names in this coordinator's registry only, and store operation timings. (The
/// store snapshot a scrape reads: Conformance/MetricsSnapshotStoreTests.)
@Suite struct CoordinatorMetricsTests {
    func text(_ metrics: CoordinatorMetrics) throws -> PrometheusText {
        try PrometheusText(metrics.registry.emitToString())
    }

    /// What MetricsMiddleware creates for one answered request, with its own labels.
    static let requestDimensions = [("http.route", "/v1/nodes/{id}"), ("http.request.method", "GET"), ("http.response.status_code", "404")]

    @Test func middlewareMetricsGetPrometheusNamesLabelsAndHelp() throws {
        let metrics = CoordinatorMetrics()
        let factory = metrics.httpFactory
        Metrics.Counter(label: "hb.requests", dimensions: Self.requestDimensions, factory: factory).increment()
        Metrics.Timer(label: "http.server.request.duration", dimensions: Self.requestDimensions, factory: factory).recordMilliseconds(30)
        Meter(label: "http.server.active_requests", dimensions: [("http.request.method", "GET")], factory: factory).increment()
        Metrics.Counter(label: "hb.request.errors", dimensions: Self.requestDimensions, factory: factory).increment()
        Metrics.Counter(label: "some.library.counter", dimensions: [], factory: factory).increment()
        let scrape = try text(metrics)
        let labels = ["route": "/v1/nodes/{id}", "method": "GET", "status": "404"]
        #expect(scrape.value("shoal_http_requests_total", labels) == 1)
        #expect(scrape.value("shoal_http_request_duration_seconds_count", labels) == 1)
        #expect(scrape.value("shoal_http_request_duration_seconds_bucket", labels.merging(["le": "0.05"]) { $1 }) == 1)
        #expect(scrape.value("shoal_http_request_duration_seconds_bucket", labels.merging(["le": "0.025"]) { $1 }) == 0)
        #expect(scrape.value("shoal_http_requests_in_flight", ["method": "GET"]) == 1)
        #expect(scrape.types["shoal_http_request_duration_seconds"] == "histogram")
        for name in ["shoal_http_requests_total", "shoal_http_request_duration_seconds", "shoal_http_requests_in_flight"] {
            #expect(scrape.help[name]?.isEmpty == false, "\(name)")
        }
        #expect(!scrape.samples.contains { $0.name.contains("library") }, "metrics of other libraries are not exported without help")
        #expect(!scrape.samples.contains { $0.name.contains("error") }, "the error middleware answers every error: no always-zero error series")
    }

    @Test func eachCoordinatorRecordsIntoItsOwnRegistry() async throws {
        let first = CoordinatorMetrics()
        let second = CoordinatorMetrics()
        // What MetricsMiddleware does: metrics through MetricsSystem.factory, bound per request.
        withMetricsFactory(first.httpFactory) { Metrics.Counter(label: "hb.requests", dimensions: Self.requestDimensions).increment() }
        await withMetricsFactory(second.httpFactory) {
            await Task.yield()
            Metrics.Counter(label: "hb.requests", dimensions: Self.requestDimensions).increment(by: 2)
        }
        #expect(try text(first).value("shoal_http_requests_total") == 1)
        #expect(try text(second).value("shoal_http_requests_total") == 2)
    }

    @Test func storeOperationsAreTimedByMethodName() async throws {
        let directory = NSTemporaryDirectory() + "shoal-metrics-" + RandomID.make(bytes: 6)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let metrics = CoordinatorMetrics()
        let store = try SQLiteFleetStore(path: directory + "/fleet.db", timer: metrics)
        _ = try await store.nodes()
        _ = try await store.nodes()
        _ = try await store.metricsSnapshot()
        let scrape = try text(metrics)
        #expect(scrape.value("shoal_db_operation_duration_seconds_count", ["operation": "nodes"]) == 2)
        #expect(scrape.value("shoal_db_operation_duration_seconds_count", ["operation": "metricsSnapshot"]) == 1)
        #expect(scrape.help["shoal_db_operation_duration_seconds"]?.isEmpty == false)
    }
}
