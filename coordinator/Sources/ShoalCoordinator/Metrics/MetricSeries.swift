import Prometheus

/// One row of an exporter table: a Prometheus series family and how to read its value from
/// `Source` (a node's heartbeat figures, or one of its GPUs). Adding a series is adding a row;
/// a nil value (the agent did not report it) leaves the series out for that source, so a
/// figure a driver does not support is absent, never a misleading zero.
struct MetricSeries<Source>: Sendable {
    let name: String
    let help: String
    private let write: @Sendable (Source, [(String, String)], PrometheusCollectorRegistry, MetricNameDescriptor) -> Void

    private init(name: String, help: String, write: @escaping @Sendable (Source, [(String, String)], PrometheusCollectorRegistry, MetricNameDescriptor) -> Void) {
        self.name = name
        self.help = help
        self.write = write
    }

    /// Records `source`'s value, labelled `labels`, into `registry`.
    func record(_ source: Source, labels: [(String, String)], into registry: PrometheusCollectorRegistry) {
        write(source, labels, registry, MetricNameDescriptor(metricName: name, unitName: "", helpText: help))
    }

    /// A figure that goes up and down, in base units (bytes, seconds, celsius, a 0..1 ratio).
    static func gauge(_ name: String, _ help: String, _ value: @escaping @Sendable (Source) -> Double?) -> Self {
        Self(name: name, help: help) { source, labels, registry, descriptor in
            guard let value = value(source) else { return }
            registry.makeGauge(descriptor: descriptor, labels: labels).set(to: value)
        }
    }

    /// A count that only grows until its source restarts (a driver reload resets ECC counts);
    /// `rate()` and `increase()` handle the reset. Named `..._total`.
    static func counter(_ name: String, _ help: String, _ value: @escaping @Sendable (Source) -> UInt64?) -> Self {
        Self(name: name, help: help) { source, labels, registry, descriptor in
            guard let value = value(source) else { return }
            registry.makeCounter(descriptor: descriptor, labels: labels).increment(by: Int64(clamping: value))
        }
    }

    /// A yes/no condition as 1 or 0.
    static func flag(_ name: String, _ help: String, _ value: @escaping @Sendable (Source) -> Bool?) -> Self {
        gauge(name, help) { source in value(source).map { $0 ? 1 : 0 } }
    }

    /// One series per possible state, labelled `label`, 1 for the current one and 0 for the
    /// others (the OpenMetrics state set), so `== 1` selects and alerts need no regex.
    static func stateSet(_ name: String, _ help: String, label: String, states: [String], _ current: @escaping @Sendable (Source) -> String?) -> Self {
        Self(name: name, help: help) { source, labels, registry, descriptor in
            guard let current = current(source) else { return }
            for state in states {
                registry.makeGauge(descriptor: descriptor, labels: labels + [(label, state)]).set(to: state == current ? 1 : 0)
            }
        }
    }
}
