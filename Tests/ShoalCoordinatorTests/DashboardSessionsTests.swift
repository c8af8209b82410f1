import Foundation
import ShoalCore
import Testing

@testable import ShoalCoordinator

/// Dashboard sessions: links work once and briefly; each operator's sessions are capped
/// without touching anyone else's.
struct DashboardSessionsTests {
    let alice = PeerIdentity(role: .operator, name: "alice")
    let bob = PeerIdentity(role: .admin, name: "bob")

    @Test func aLinkOpensOneSessionOnceAndOnlyWhileFresh() async throws {
        let sessions = DashboardSessions()
        let now = Date()
        let link = try await sessions.issueLink(for: alice, serial: "01", now: now)
        let opened = try await sessions.redeem(link.secret, now: now)
        #expect(opened.session.operatorName == "alice" && opened.session.role == .operator && opened.session.certificateSerial == "01")
        #expect(await sessions.session(opened.id, now: now) != nil)
        await #expect(throws: ShoalError.self) { _ = try await sessions.redeem(link.secret, now: now) }
        let stale = try await sessions.issueLink(for: alice, serial: "01", now: now)
        await #expect(throws: ShoalError.self) { _ = try await sessions.redeem(stale.secret, now: now.addingTimeInterval(DashboardSessions.linkLifetime + 1)) }
        #expect(await sessions.session(opened.id, now: now.addingTimeInterval(DashboardSessions.sessionLifetime + 1)) == nil)
    }

    @Test func anOperatorLoggingInOftenEndsOnlyTheirOwnOldestSession() async throws {
        let sessions = DashboardSessions()
        let now = Date()
        let bobs = try await sessions.redeem(try await sessions.issueLink(for: bob, serial: "02", now: now).secret, now: now)
        var alices: [String] = []
        for step in 0..<(DashboardSessions.sessionsPerOperator + 3) {
            let at = now.addingTimeInterval(Double(step))
            alices.append(try await sessions.redeem(try await sessions.issueLink(for: alice, serial: "01", now: at).secret, now: at).id)
        }
        let later = now.addingTimeInterval(60)
        var live = 0
        for id in alices where await sessions.session(id, now: later) != nil { live += 1 }
        #expect(live == DashboardSessions.sessionsPerOperator)
        let first = await sessions.session(alices[0], now: later)
        let newest = await sessions.session(alices.last ?? "", now: later)
        #expect(first == nil && newest != nil)
        #expect(await sessions.session(bobs.id, now: later) != nil, "bob's session survives alice's logins")
        // Unused links are capped per operator too.
        for _ in 0..<DashboardSessions.linksPerOperator { _ = try await sessions.issueLink(for: alice, serial: "01", now: later) }
        await #expect(throws: ShoalError.self) { _ = try await sessions.issueLink(for: alice, serial: "01", now: later) }
        _ = try await sessions.issueLink(for: bob, serial: "02", now: later)
    }
}
