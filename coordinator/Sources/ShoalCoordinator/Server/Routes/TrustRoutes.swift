import Foundation
import Hummingbird
import ShoalCore

/// `/v1/trust`: the fleet's root-signed trust documents. Anyone with a fleet certificate may
/// read the chain (nodes also get it with poll and heartbeat answers); an admin may publish
/// the next document, which the coordinator checks exactly as an agent would — it holds no
/// root key and cannot make one.
struct TrustRoutes: Sendable {
    let fleet: Fleet
    /// The most documents one answer carries: a node further behind re-enrolls.
    static let maxChain = 64

    func add(to router: Router<CoordinatorRequestContext>) {
        router.get("/v1/trust") { request, context in
            _ = try context.requirePeer()
            let after = max(try request.uri.queryParameters.integer("after") ?? 0, 0)
            return try JSONResponse.make(TrustChainResponse(documents: try await chain(after: after)))
        }
        router.get("/v1/trust/current") { _, context in
            _ = try context.requirePeer()
            return try JSONResponse.make(TrustChainResponse(documents: served(fleet.trust.current.map { [$0.envelope] } ?? [])))
        }
        let admin = router.group("/v1/trust").add(middleware: RequireOperatorMiddleware(roles: [.admin]))
        admin.put { request, context in
            let envelope = try await request.decodeJSON(DSSEEnvelope.self, limit: 1 << 20)
            let peer = try context.requirePeer()
            let document = try await fleet.trust.install(envelope, store: fleet.store, by: peer)
            context.logger.info("trust document installed", metadata: ["version": "\(document.version)", "by": "\(peer.description)"])
            return try JSONResponse.make(TrustChainResponse(documents: [envelope]), status: .created)
        }
    }

    /// Documents after `version`, oldest first, at most `maxChain`.
    func chain(after version: Int) async throws -> [DSSEEnvelope] {
        guard let current = fleet.trust.current, current.document.version > version else { return [] }
        return served(try await fleet.store.trustDocuments(after: version).prefix(Self.maxChain).compactMap(\.envelope))
    }

    /// `envelopes`, counted as served (`audit keys`).
    private func served(_ envelopes: [DSSEEnvelope]) -> [DSSEEnvelope] {
        fleet.keyUse.recordTrustServed(envelopes)
        return envelopes
    }
}

/// The result line of a `trust.publish` audit entry: what a new trust document changes.
enum TrustChange {
    static func describe(from old: TrustDocument?, to new: TrustDocument) -> String {
        guard let old else { return "first document; operators \(new.operators.map(\.name).joined(separator: ", "))" }
        var parts: [String] = []
        let before = Dictionary(old.operators.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
        let after = Dictionary(new.operators.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
        for name in after.keys.sorted() where before[name] == nil { parts.append("added operator \(name)") }
        for name in before.keys.sorted() where after[name] == nil { parts.append("removed operator \(name)") }
        for name in after.keys.sorted() where before[name] != nil && before[name] != after[name] { parts.append("changed operator \(name)") }
        if old.roots != new.roots { parts.append("new roots \(new.roots.fingerprint)") }
        if old.deliveryKeys != new.deliveryKeys { parts.append("delivery keys \(new.deliveryKeys.map(\.keyID).joined(separator: ", "))") }
        if old.caCertificates != new.caCertificates { parts.append("CA certificates changed") }
        if parts.isEmpty { parts.append("renewed until \(Timestamp.format(new.expiresAt))") }
        return parts.joined(separator: "; ")
    }
}
