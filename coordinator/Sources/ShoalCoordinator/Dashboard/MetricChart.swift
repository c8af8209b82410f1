import Foundation
import ShoalCore

/// A small line chart as inline SVG, drawn from numbers only (so the page may embed it
/// unescaped): one value per point, scaled into a 0–100 box; a gap in the data breaks the line.
struct MetricChart: Sendable {
    var label: String
    var latest: String
    var svg: String

    /// `value` gives each point's figure (nil: no figure), `maximum` the top of the scale.
    static func make(label: String, points: [MetricPoint], maximum: Double, unit: String, value: (MetricPoint) -> Double?) -> MetricChart? {
        guard let first = points.first?.at.timeIntervalSince1970, let last = points.last?.at.timeIntervalSince1970 else { return nil }
        let span = max(last - first, 60)
        var segments: [[String]] = [[]]
        for point in points {
            guard let figure = value(point), figure.isFinite else {
                if !(segments.last?.isEmpty ?? true) { segments.append([]) }
                continue
            }
            let x = (point.at.timeIntervalSince1970 - first) / span * 300
            let y = 100 - min(max(figure / max(maximum, 1e-9), 0), 1) * 100
            segments[segments.count - 1].append(String(format: "%.1f,%.1f", x, y))
        }
        // A lone point is drawn as a level line to the right edge, or it would not show at all.
        let lines = segments.filter { !$0.isEmpty }.map { coordinates -> String in
            var drawn = coordinates
            if drawn.count == 1, let only = drawn.first, let comma = only.firstIndex(of: ",") {
                let x = Double(only[..<comma]) ?? 0
                drawn.append(String(format: "%.1f", max(x, 300)) + only[comma...])
            }
            return "<polyline points=\"\(drawn.joined(separator: " "))\"/>"
        }
        guard !lines.isEmpty else { return nil }
        let latest = points.last.flatMap(value).map { String(format: "%.1f%@", $0, unit) } ?? "–"
        let svg = "<svg viewBox=\"0 0 300 100\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"\(label)\">\(lines.joined())</svg>"
        return MetricChart(label: label, latest: latest, svg: svg)
    }
}
