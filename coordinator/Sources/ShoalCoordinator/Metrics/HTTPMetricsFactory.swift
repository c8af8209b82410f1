import Metrics
import Prometheus

/// The swift-metrics backend that Hummingbird's `MetricsMiddleware` records into: it gives
/// the middleware's metrics Prometheus names, units and help text (a series without `# HELP`
/// fails `promtool check metrics`) and puts them in one coordinator's registry.
///
/// The middleware labels a request by its route pattern (`/v1/nodes/{id}`, never the raw
/// path, so the label set stays bounded; unmatched paths are `Unknown`), method and status.
/// Any other swift-metrics metric that reaches this factory is dropped rather than exported
/// without help text.
struct HTTPMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry

    /// Long polls are held up to 60 s, so the buckets reach past that.
    static let buckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(65),
    ]

    // Computed: MetricNameDescriptor is not Sendable, so it cannot be a shared constant.
    static var requests: MetricNameDescriptor { MetricNameDescriptor(metricName: "shoal_http_requests_total", unitName: "", helpText: "HTTP requests answered, by route pattern, method and status.") }
    static var duration: MetricNameDescriptor { MetricNameDescriptor(metricName: "shoal_http_request_duration_seconds", unitName: "", helpText: "Time from a request's arrival to its response's last byte, by route pattern, method and status.") }
    static var inFlight: MetricNameDescriptor { MetricNameDescriptor(metricName: "shoal_http_requests_in_flight", unitName: "", helpText: "HTTP requests being handled now, long polls included, by method.") }

    /// `http.route` → `route` and so on: Prometheus label names have no dots.
    static func labels(_ dimensions: [(String, String)]) -> [(String, String)] {
        dimensions.map { name, value in
            switch name {
            case "http.route": ("route", value)
            case "http.request.method": ("method", value)
            case "http.response.status_code": ("status", value)
            default: (name.replacingOccurrences(of: ".", with: "_"), value)
            }
        }
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        switch label {
        case "hb.requests": registry.makeCounter(descriptor: Self.requests, labels: Self.labels(dimensions))
        // `hb.request.errors` is left out too: it counts only errors that escape the
        // ErrorMiddleware, which answers every error (the status is in the requests' labels),
        // so it would be a zero series for every route.
        default: NOOPMetricsHandler.instance
        }
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        guard label == "http.server.active_requests" else { return NOOPMetricsHandler.instance }
        return registry.makeGauge(descriptor: Self.inFlight, labels: Self.labels(dimensions))
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        guard label == "http.server.request.duration" else { return NOOPMetricsHandler.instance }
        return registry.makeDurationHistogram(descriptor: Self.duration, labels: Self.labels(dimensions), buckets: Self.buckets)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        NOOPMetricsHandler.instance
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        NOOPMetricsHandler.instance
    }

    // The middleware never destroys its metrics; these keep the registry right if one does.
    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
}
