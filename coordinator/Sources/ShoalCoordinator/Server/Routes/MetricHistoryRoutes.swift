import Foundation
import Hummingbird
import ShoalCore

/// `GET /v1/nodes/{id}/metrics` (a node's metric history) and `GET /v1/usage` (node-, GPU-,
/// CPU-core- and memory-hours per node or label value): any operator role.
struct MetricHistoryRoutes: Sendable {
    let fleet: Fleet

    func add(to router: Router<CoordinatorRequestContext>) {
        let read = router.group("/v1").add(middleware: RequireOperatorMiddleware(roles: [.admin, .operator, .viewer]))
        read.get("nodes/{id}/metrics") { request, context in
            let id = try context.parameters.require("id")
            guard let node = try await fleet.store.node(id: id) else {
                throw ShoalError(.notFound, "no node \(id); 'coordinator nodes list' shows the fleet")
            }
            let now = Date()
            let (since, until) = try period(request.uri.queryParameters, defaultSince: now.addingTimeInterval(-6 * 3600), now: now)
            // Minute points while they still exist for the whole range; hour sums beyond.
            let minutesKept = now.addingTimeInterval(-Double(fleet.config.retentionSettings.seconds(\.metricsMinutes)))
            let resolution: MetricHistoryResponse.Resolution = since >= minutesKept ? .minute : .hour
            let points = try await fleet.store.metricPoints(nodeID: id, since: since, until: until, resolution: resolution)
            return try JSONResponse.make(MetricHistoryResponse(
                nodeID: id, hostname: node.hostname, resolution: resolution, since: since, until: until, points: points
            ))
        }
        read.get("usage") { request, _ in
            let now = Date()
            let parameters = request.uri.queryParameters
            let (since, until) = try period(parameters, defaultSince: now.addingTimeInterval(-30 * 86400), now: now)
            let from = MetricPoint.hour(of: since)
            let hourAfter = MetricPoint.hour(of: until)
            let to = hourAfter == until ? until : hourAfter.addingTimeInterval(3600)
            let groupBy = parameters.get("groupBy").flatMap { $0.isEmpty ? nil : $0 }
            if let groupBy { try LabelText.validateKeySyntax(groupBy, what: "groupBy label") }
            let usage = try await fleet.store.usage(since: from, until: to)
            let nodes = Dictionary(try await fleet.store.nodes().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            return try JSONResponse.make(UsageResponse(since: from, until: to, groupBy: groupBy, rows: Self.rows(usage, nodes: nodes, groupBy: groupBy)))
        }
    }

    /// `since` and `until` as RFC 3339 times; `until` defaults to now. A range may not end
    /// before it starts, nor reach back past what the hour retention keeps.
    func period(_ parameters: Parameters, defaultSince: Date, now: Date) throws -> (Date, Date) {
        func time(_ name: String) throws -> Date? {
            guard let text = parameters.get(name), !text.isEmpty else { return nil }
            guard let date = Timestamp.parse(text) else {
                throw ShoalError(.invalidArgument, "\(name) must be an RFC 3339 timestamp such as 2026-01-31T12:00:00Z, got '\(text)'")
            }
            return date
        }
        let since = try time("since") ?? defaultSince
        let until = try time("until") ?? now
        guard since < until else {
            throw ShoalError(.invalidArgument, "since (\(Timestamp.format(since))) must be before until (\(Timestamp.format(until)))")
        }
        return (since, until)
    }

    /// Per node, or per value of the `groupBy` label (nodes without it under `(none)`); a
    /// node no longer enrolled keeps its usage under its id.
    static func rows(_ usage: [NodeUsage], nodes: [String: NodeRecord], groupBy: String?) -> [UsageRow] {
        var rows: [String: UsageRow] = [:]
        for entry in usage {
            let node = nodes[entry.nodeID]
            let key = groupBy.map { node?.labels[$0] ?? "(none)" } ?? entry.nodeID
            var row = rows[key] ?? UsageRow(
                key: key, hostname: groupBy == nil ? node?.hostname : nil, nodes: 0, nodeHours: 0, gpuHours: 0, cpuCoreHours: 0, memoryGiBHours: 0
            )
            row.nodes += 1
            row.nodeHours += Double(entry.minutes) / 60
            row.gpuHours += Double(entry.gpuMinutes) / 60
            row.cpuCoreHours += entry.cpuCoreMinutes / 60
            row.memoryGiBHours += entry.memoryByteMinutes / 60 / 1_073_741_824
            rows[key] = row
        }
        return rows.values.sorted { $0.key < $1.key }
    }
}
