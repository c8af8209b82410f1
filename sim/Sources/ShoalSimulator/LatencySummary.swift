/// Percentiles of a set of latencies in milliseconds (nearest rank); nil when there are none.
struct LatencySummary {
    var p50: Double?
    var p99: Double?
    var max: Double?

    init(_ samples: [Float]) {
        guard !samples.isEmpty else { return }
        let sorted = samples.sorted()
        func rank(_ quantile: Double) -> Double {
            let index = Int((quantile * Double(sorted.count)).rounded(.up)) - 1
            return Double(sorted[Swift.max(0, Swift.min(sorted.count - 1, index))])
        }
        p50 = rank(0.5)
        p99 = rank(0.99)
        max = Double(sorted[sorted.count - 1])
    }
}
