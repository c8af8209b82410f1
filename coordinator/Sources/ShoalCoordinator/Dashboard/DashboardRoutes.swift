import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore
import ShoalClient
import ShoalCore

/// The web dashboard under `/dashboard` (docs/operations.md, "Dashboard"). Pages need a
/// session cookie from a one-time link (`POST /v1/dashboard/login`, any operator role):
/// viewers read, operators and admins may also cancel a rollout, admins see the audit log.
struct DashboardRoutes: Sendable {
    let fleet: Fleet
    let engine: RolloutEngine
    let sessions: DashboardSessions
    let library: MustacheLibrary
    static let cookie = "shoal_dashboard"

    init(fleet: Fleet, engine: RolloutEngine, sessions: DashboardSessions) throws {
        self.fleet = fleet
        self.engine = engine
        self.sessions = sessions
        self.library = try DashboardTemplates.library()
    }

    func add(to router: Router<CoordinatorRequestContext>) {
        let pages = DashboardPages(fleet: fleet)
        router.group("/v1").add(middleware: RequireOperatorMiddleware(roles: [.admin, .operator, .viewer])).post("dashboard/login") { _, context in
            let peer = try context.requirePeer()
            let link = try await sessions.issueLink(for: peer, serial: context.peerSerial ?? "")
            return try JSONResponse.make(DashboardLoginResponse(url: fleet.config.advertiseURL + "/dashboard/login?token=" + link.secret, expiresAt: link.expiresAt))
        }
        router.get("dashboard/static/app.css") { _, _ in DashboardResponse.make(DashboardAssets.css, contentType: "text/css; charset=utf-8") }
        router.get("dashboard/static/app.js") { _, _ in DashboardResponse.make(DashboardAssets.javascript, contentType: "text/javascript; charset=utf-8") }
        router.get("dashboard/login") { request, _ in
            guard let token = request.uri.queryParameters.get("token"), !token.isEmpty else {
                return page("message", Message(title: "Log in", text: "Open the link 'coordinator dashboard login' prints."), status: .badRequest)
            }
            let opened: (id: String, session: DashboardSessions.Session)
            do { opened = try await sessions.redeem(token) } catch let error as ShoalError {
                return page("message", Message(title: "Log in", text: error.message), status: .forbidden)
            }
            let cookie = "\(Self.cookie)=\(opened.id); Path=/dashboard; Max-Age=\(Int(DashboardSessions.sessionLifetime)); HttpOnly; Secure; SameSite=Strict"
            // A page that moves on by itself, not a redirect: the move then starts on this
            // site, so the SameSite=Strict cookie goes along even when the link came from elsewhere.
            let body = "<!doctype html><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url=/dashboard\"><title>Shoal</title><a href=\"/dashboard\">Open the dashboard</a>"
            return DashboardResponse.make(body, extra: [.setCookie: cookie])
        }
        router.get("dashboard") { request, _ in
            try await signedIn(request) { session, who in page("fleet", try await pages.fleetPage(who: who)) }
        }
        router.get("dashboard/events") { request, _ in
            try await signedIn(request) { _, _ in
                stream(event: "fleet", session: request.cookies[Self.cookie]?.value ?? "") { () async throws -> (FleetCounts, Bool)? in
                    let nodes = try await fleet.store.nodes()
                    let counts = FleetCounts(total: nodes.count, ready: nodes.count { $0.status == .ready }, down: nodes.count { $0.status == .down }, revoked: nodes.count { $0.status == .revoked })
                    return (counts, false)
                }
            }
        }
        router.get("dashboard/nodes/{id}") { request, context in
            try await signedIn(request) { _, who in
                let id = try context.parameters.require("id")
                guard let model = try await pages.nodePage(id: id, who: who) else { return notFound("no node \(id)", who: who) }
                return page("node", model)
            }
        }
        router.get("dashboard/rollouts") { request, _ in
            try await signedIn(request) { _, who in page("rollouts", try await pages.rolloutsPage(who: who)) }
        }
        router.get("dashboard/rollouts/{id}") { request, context in
            try await signedIn(request) { session, who in
                let id = try context.parameters.require("id")
                guard let model = try await pages.rolloutPage(id: id, who: who, session: session) else { return notFound("no task \(id)", who: who) }
                return page("rollout", model)
            }
        }
        router.get("dashboard/rollouts/{id}/events") { request, context in
            try await signedIn(request) { _, _ in
                let id = try context.parameters.require("id")
                return stream(event: "progress", session: request.cookies[Self.cookie]?.value ?? "", taskID: id) { () async throws -> (DashboardPages.Progress, Bool)? in
                    guard let progress = try await pages.progress(taskID: id) else { return nil }
                    return (progress, progress.finished)
                }
            }
        }
        router.get("dashboard/rollouts/{id}/output/{node}") { request, context in
            try await signedIn(request) { _, who in
                let id = try context.parameters.require("id")
                let node = try context.parameters.require("node")
                guard let delivery = try await fleet.store.deliveries(taskID: id).first(where: { $0.nodeID == node }) else {
                    return notFound("task \(id) has no node \(node)", who: who)
                }
                // Plain text, never HTML: the output is whatever the node sent.
                var headers: HTTPFields = [.contentType: "text/plain; charset=utf-8"]
                headers.append(contentsOf: DashboardResponse.securityHeaders)
                return Response(status: .ok, headers: headers, body: fleet.outputs.body(taskID: id, delivery: delivery))
            }
        }
        router.post("dashboard/rollouts/{id}/cancel") { request, context in
            try await signedIn(request) { session, who in
                let id = try context.parameters.require("id")
                guard session.mayCancel else {
                    return page("message", Message(title: "Not allowed", text: "role '\(session.role.rawValue)' may not cancel rollouts", who: who), status: .forbidden)
                }
                let form = try await Self.form(request)
                guard let token = form["csrf"], token == session.csrfToken else {
                    return page("message", Message(title: "Not allowed", text: "the form is stale or not from this dashboard; reload the page and try again", who: who), status: .forbidden)
                }
                let peer = PeerIdentity(role: session.role, name: session.operatorName)
                let now = Date()
                guard try await fleet.store.requestCancel(taskID: id, reason: "cancelled by \(peer.description) from the dashboard", now: now, audit: .taskCancelled(taskID: id, by: peer, at: now)) != nil else {
                    return notFound("no task \(id)", who: who)
                }
                engine.nudge()
                return Response(status: .seeOther, headers: [.location: "/dashboard/rollouts/\(APIPath.segment(id))"])
            }
        }
        router.get("dashboard/schedules") { request, _ in
            try await signedIn(request) { _, who in page("schedules", try await pages.schedulesPage(who: who)) }
        }
        router.get("dashboard/audit") { request, _ in
            try await signedIn(request) { session, who in
                guard session.role == .admin else {
                    return page("message", Message(title: "Audit", text: "the audit log is for admins (role '\(session.role.rawValue)')", who: who), status: .forbidden)
                }
                return page("audit", try await pages.auditPage(who: who))
            }
        }
    }

    struct Message: Sendable { var title: String; var text: String; var who = "" }
    struct FleetCounts: Codable, Sendable, Equatable { var total, ready, down, revoked: Int }

    /// Runs `body` for a live session whose operator credential is not revoked; else a page
    /// that says how to log in.
    func signedIn(_ request: Request, _ body: (DashboardSessions.Session, String) async throws -> Response) async throws -> Response {
        guard let id = request.cookies[Self.cookie]?.value, let session = await sessions.session(id) else {
            return page("message", Message(title: "Log in", text: "Your session has ended or never began: run 'coordinator dashboard login' and open the link it prints."), status: .unauthorized)
        }
        if let record = try await fleet.store.operatorCredential(serial: session.certificateSerial), record.revokedAt != nil {
            await sessions.end(id)
            return page("message", Message(title: "Log in", text: "The credential this session came from has been revoked."), status: .unauthorized)
        }
        return try await body(session, "\(session.operatorName) (\(session.role.rawValue))")
    }

    func page(_ template: String, _ model: Any, status: HTTPResponse.Status = .ok) -> Response {
        DashboardResponse.make(library.render(model, withTemplate: template) ?? "template \(template) missing", status: status)
    }

    func notFound(_ text: String, who: String) -> Response {
        page("message", Message(title: "Not found", text: text, who: who), status: .notFound)
    }

    /// Server-sent events: `next` is read and sent when it changed, until it says it is
    /// done, gives nil, the session ends or is revoked, or the browser goes away — which a
    /// comment line every 15 s finds out (a write to a closed connection fails). With
    /// `taskID`, `next` is read when the store reports a change of that task (and at each
    /// ping), not on a clock; the fleet page has no such feed yet and reads once a second.
    /// The session is checked at every wake, before anything is read or sent.
    func stream<Value: Encodable & Equatable & Sendable>(
        event: String, session id: String, taskID: String? = nil, _ next: @escaping @Sendable () async throws -> (Value, Bool)?
    ) -> Response {
        let body = ResponseBody { [sessions, fleet] writer in
            // Registered before the first read, so a change between a read and the wait is kept.
            let watch = taskID.map { fleet.store.taskChanges.watch(taskID: $0) }
            defer { watch?.cancel() }
            let pingEvery = Duration.seconds(15)
            var last: Value?
            var quietSince = ContinuousClock.now
            while !Task.isCancelled {
                guard let session = await sessions.session(id) else { break }
                if let record = try await fleet.store.operatorCredential(serial: session.certificateSerial), record.revokedAt != nil { break }
                guard let (value, done) = try await next() else { break }
                if value != last {
                    let json = String(decoding: try WireCoding.encode(value), as: UTF8.self)
                    try await writer.write(ByteBuffer(string: "event: \(event)\ndata: \(json)\n\n"))
                    last = value
                    quietSince = ContinuousClock.now
                } else if ContinuousClock.now - quietSince >= pingEvery {
                    try await writer.write(ByteBuffer(string: ": still here\n\n"))
                    quietSince = ContinuousClock.now
                }
                if done { break }
                if let watch {
                    try await watch.wakeup.wait(upTo: max(.zero, quietSince + pingEvery - ContinuousClock.now))
                } else {
                    try await Task.sleep(for: .seconds(1))
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }

    /// An `application/x-www-form-urlencoded` body of at most 4 KiB.
    static func form(_ request: Request) async throws -> [String: String] {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: 4096) } catch {
            throw ShoalError(.bodyTooLarge, "form body is larger than 4096 bytes")
        }
        var fields: [String: String] = [:]
        for pair in String(decoding: buffer.readableBytesView, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if let key = parts.first { fields[key] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }
}
