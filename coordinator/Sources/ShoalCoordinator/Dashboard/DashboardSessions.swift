import Foundation
import ShoalCore

/// Browser sessions for the dashboard. Browsers carry client certificates badly, so an
/// operator's certificate buys a one-time login link (`coordinator dashboard login`), and the
/// link a session cookie bound to that operator's name and role. Links are single-use and live
/// two minutes; sessions an hour. Both live in this process only: a restart logs everyone out.
/// Only hashes of links and session ids are kept, so a memory dump holds nothing replayable.
public actor DashboardSessions {
    public struct Session: Sendable {
        public var operatorName: String
        public var role: PeerIdentity.Role
        /// The certificate that asked for the link: a revocation of it ends the session too.
        public var certificateSerial: String
        /// Sent in every form that changes something and compared on receipt.
        public var csrfToken: String
        public var expiresAt: Date

        public var mayCancel: Bool { role == .admin || role == .operator }
    }

    public static let linkLifetime: TimeInterval = 120
    public static let sessionLifetime: TimeInterval = 3600
    /// Bounds memory whatever a holder of a credential asks for.
    static let maxEntries = 1000
    static let sessionsPerOperator = 5
    static let linksPerOperator = 5

    private var links: [String: (identity: PeerIdentity, serial: String, expiresAt: Date)] = [:]
    private var sessions: [String: Session] = [:]

    public init() {}

    /// A new one-time login secret for `identity`.
    public func issueLink(for identity: PeerIdentity, serial: String, now: Date = Date()) throws -> (secret: String, expiresAt: Date) {
        prune(now: now)
        guard links.values.filter({ $0.identity.name == identity.name }).count < Self.linksPerOperator, links.count < Self.maxEntries else {
            throw ShoalError(.rateLimited, "too many unused dashboard login links for \(identity.name); use one, or wait two minutes")
        }
        let secret = RandomID.make(bytes: 32)
        let expiresAt = now.addingTimeInterval(Self.linkLifetime)
        links[RandomID.hash(secret)] = (identity, serial, expiresAt)
        return (secret, expiresAt)
    }

    /// Uses up a login secret; returns the new session's id and the session.
    public func redeem(_ secret: String, now: Date = Date()) throws -> (id: String, session: Session) {
        prune(now: now)
        guard let link = links.removeValue(forKey: RandomID.hash(secret)), link.expiresAt > now else {
            throw ShoalError(.forbidden, "this dashboard login link is unknown, used or expired (links work once, for two minutes); run 'coordinator dashboard login' again")
        }
        // Each operator holds a few sessions; a new one ends that operator's oldest, never
        // someone else's, so no one can log others out by logging in often.
        let own = sessions.filter { $0.value.operatorName == link.identity.name }
        if own.count >= Self.sessionsPerOperator, let oldest = own.min(by: { $0.value.expiresAt < $1.value.expiresAt })?.key {
            sessions.removeValue(forKey: oldest)
        }
        guard sessions.count < Self.maxEntries else {
            throw ShoalError(.rateLimited, "the dashboard has \(Self.maxEntries) open sessions; try again when some have ended")
        }
        let id = RandomID.make(bytes: 32)
        let session = Session(
            operatorName: link.identity.name, role: link.identity.role, certificateSerial: link.serial, csrfToken: RandomID.make(bytes: 16),
            expiresAt: now.addingTimeInterval(Self.sessionLifetime)
        )
        sessions[RandomID.hash(id)] = session
        return (id, session)
    }

    public func session(_ id: String, now: Date = Date()) -> Session? {
        guard let session = sessions[RandomID.hash(id)], session.expiresAt > now else { return nil }
        return session
    }

    public func end(_ id: String) {
        sessions.removeValue(forKey: RandomID.hash(id))
    }

    private func prune(now: Date) {
        links = links.filter { $0.value.expiresAt > now }
        sessions = sessions.filter { $0.value.expiresAt > now }
    }
}
