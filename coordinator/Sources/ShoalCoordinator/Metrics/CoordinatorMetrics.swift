import Prometheus

/// One coordinator's own Prometheus series that live across scrapes: HTTP requests (recorded
/// by Hummingbird's `MetricsMiddleware` through `httpFactory`) and the time each store
/// operation takes. One per `Fleet`, never process-wide, so coordinators in one test process
/// keep their series apart. The fleet's state is not kept here: each scrape reads it afresh
/// (`FleetMetricsExporter`).
public final class CoordinatorMetrics: StoreOperationTimer {
    public let registry = PrometheusCollectorRegistry()

    /// Store calls take microseconds to a few seconds under write contention.
    static let storeBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(10),
    ]

    public init() {}

    var httpFactory: HTTPMetricsFactory { HTTPMetricsFactory(registry: registry) }

    public func record(operation: String, duration: Duration) {
        let descriptor = MetricNameDescriptor(
            metricName: "shoal_db_operation_duration_seconds", unitName: "",
            helpText: "Time each store operation (one SQLite transaction, waiting for the writer included) took, by store method."
        )
        registry.makeDurationHistogram(descriptor: descriptor, labels: [("operation", operation)], buckets: Self.storeBuckets).record(duration)
    }
}
