import Foundation
import Hummingbird
import NIOSSL
import ShoalCore
import X509

/// Reads the client certificate TLS verified against the fleet CA (if one was presented;
/// parsed once per connection, `PeerCertificateCache`) and puts the identity it names into
/// the context. TLS checked the certificate's dates at the handshake; a kept-alive
/// connection can outlive them, so they are checked again on every request, and an operator
/// certificate against the store (revoked: refused). Otherwise it refuses nothing by itself:
/// routes say what they require.
struct PeerIdentityMiddleware: RouterMiddleware {
    typealias Context = CoordinatorRequestContext
    let operators: OperatorCredentialCheck
    let certificates: PeerCertificateCache

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let presented = await certificates.certificate(of: context.channel) {
            let certificate = presented.certificate
            let now = Date()
            guard certificate.notValidAfter > now, certificate.notValidBefore <= now else {
                throw ShoalError(.certificateExpired, "the client certificate is valid only from \(Timestamp.format(certificate.notValidBefore)) to \(Timestamp.format(certificate.notValidAfter)); nodes renew by themselves; an operator renews before expiry ('coordinator operator renew') and after it needs a new one from an admin ('coordinator operator create')")
            }
            let peer = presented.identity
            if let peer, peer.role.isOperator {
                try await operators.check(certificate, identity: peer)
            }
            context.peer = peer
            context.peerSerial = presented.serialHex
            context.peerPublicKey = certificate.publicKey
            context.peerIssuer = certificate.issuer
        }
        return try await next(request, context)
    }
}

/// Operator routes: an operator certificate whose role is one of `roles`.
struct RequireOperatorMiddleware: RouterMiddleware {
    typealias Context = CoordinatorRequestContext
    let roles: Set<PeerIdentity.Role>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let peer = try context.requirePeer()
        guard peer.role.isOperator else {
            throw ShoalError(.forbidden, "a node certificate may not call operator routes")
        }
        guard roles.contains(peer.role) else {
            let allowed = roles.map(\.rawValue).sorted().joined(separator: ", ")
            throw ShoalError(.forbidden, "role '\(peer.role.rawValue)' may not \(request.method) \(request.uri.path) (needs: \(allowed))")
        }
        return try await next(request, context)
    }
}

/// Agent routes `/v1/agent/{node}/...`: a node certificate for exactly that node, the one
/// certificate the store holds for it, and a node that is not revoked.
struct RequireNodeMiddleware: RouterMiddleware {
    typealias Context = CoordinatorRequestContext
    let store: any FleetStore
    /// The CA that issues now; a certificate of the previous one (a CA rotation under way)
    /// must certify the key on record, since that CA's key may be in the wrong hands.
    let currentCA: DistinguishedName
    /// Requests per node across all agent routes.
    let limiter: KeyedRateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let peer = try context.requirePeer()
        guard peer.role == .node else {
            throw ShoalError(.forbidden, "only node certificates may call agent routes")
        }
        let nodeID = try context.parameters.require("node")
        guard peer.name == nodeID else {
            throw ShoalError(.forbidden, "certificate for node \(peer.name) may not act for node \(nodeID)")
        }
        if let wait = limiter.take(nodeID) {
            throw ShoalError(.rateLimited, "node \(nodeID) is sending requests faster than \(Int(limiter.perSecond)) a second; retry in \(wait)s", retryAfterSeconds: wait)
        }
        guard let node = try await store.nodeCredential(id: nodeID) else {
            throw ShoalError(.forbidden, "node \(nodeID) is not enrolled in this fleet")
        }
        guard node.status != .revoked else {
            throw ShoalError(.nodeRevoked, "node \(nodeID) has been revoked; enroll it again with a new token to bring it back")
        }
        if node.certificateSerial == context.peerSerial {
            if node.previousCertificateSerial != nil {
                try await store.confirmCertificate(nodeID: nodeID, serial: node.certificateSerial)
            }
        } else if node.previousCertificateSerial == nil || node.previousCertificateSerial != context.peerSerial {
            throw ShoalError(.certificateSuperseded, "this certificate for node \(nodeID) has been replaced by a newer one")
        }
        if context.peerIssuer != currentCA {
            // Hashed only here and below: not on every request's path.
            guard let recorded = node.certificateKey, recorded == context.peerPublicKey?.hash else {
                throw ShoalError(.forbidden, "this certificate for node \(nodeID) is from the previous fleet CA but not for the key on record; the CA is rotating — enroll the node again")
            }
        } else if node.certificateKey == nil, node.certificateSerial == context.peerSerial, let key = context.peerPublicKey?.hash {
            // Nodes enrolled before keys were recorded: learn the key from the current CA's certificate.
            try await store.recordCertificateKey(nodeID: nodeID, serial: node.certificateSerial, key: key)
        }
        return try await next(request, context)
    }
}
