import Foundation
import Hummingbird
import ShoalCore

/// `/v1/audit`: the audit chain, the rows from before it, and the coordinator's key use.
/// Admin only: the log names every credential holder, token, selector and schedule, and
/// shows which actions were seen — what someone with a stolen operator or viewer credential
/// would read to learn the fleet and cover their tracks (docs/security.md, "Audit").
struct AuditRoutes: Sendable {
    let fleet: Fleet

    func add(to router: Router<CoordinatorRequestContext>) {
        let admin = router.group("/v1/audit").add(middleware: RequireOperatorMiddleware(roles: [.admin]))
        admin.get { request, _ in
            let query = try Self.query(request.uri.queryParameters)
            let entries = try await fleet.store.auditEntries(query)
            return try JSONResponse.make(AuditListResponse(entries: entries, head: try await fleet.store.auditHead()))
        }
        admin.get("legacy") { _, _ in
            try JSONResponse.make(LegacyAuditResponse(rows: try await fleet.store.legacyAuditRows()))
        }
        admin.get("keys") { _, _ in
            // Store what was counted up to this moment, so the answer is current.
            try await fleet.keyUse.flush(into: fleet.store)
            return try JSONResponse.make(KeyUseResponse(keys: try await fleet.store.keyUse()))
        }
    }

    /// `since` (RFC 3339), `operator`, `action` (exact, or `prefix.*`), `after` (a seq), `limit` (1–1000, default 100).
    static func query(_ parameters: Parameters) throws -> AuditQuery {
        var query = AuditQuery()
        if let text = parameters.get("since"), !text.isEmpty {
            guard let since = Timestamp.parse(text) else {
                throw ShoalError(.invalidArgument, "since must be an RFC 3339 timestamp such as 2026-01-31T12:00:00Z, got '\(text)'")
            }
            query.since = since
        }
        if let actor = parameters.get("operator"), !actor.isEmpty { query.actor = actor }
        if let action = parameters.get("action"), !action.isEmpty { query.action = action }
        if let text = parameters.get("after"), !text.isEmpty {
            guard let after = Int64(text), after >= 0 else {
                throw ShoalError(.invalidArgument, "after must be an entry number (0 or more), got '\(text)'")
            }
            query.after = after
        }
        if let text = parameters.get("limit"), !text.isEmpty {
            guard let limit = Int(text), (1...AuditQuery.maxLimit).contains(limit) else {
                throw ShoalError(.invalidArgument, "limit must be 1 to \(AuditQuery.maxLimit), got '\(text)'")
            }
            query.limit = limit
        }
        return query
    }
}
