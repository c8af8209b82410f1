import Hummingbird
import NIOCore
import ShoalCore
import X509

/// The typed request context: it keeps the channel, so middleware can read the TLS peer
/// certificate, and carries the identity that certificate proved.
public struct CoordinatorRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel
    /// Set by `PeerIdentityMiddleware` when the client presented a fleet-issued certificate.
    public var peer: PeerIdentity?
    public var peerSerial: String?
    /// The public key of the certificate the client presented (renewal checks it).
    public var peerPublicKey: Certificate.PublicKey?
    /// Who issued that certificate: the current fleet CA, or the one before it during a rotation.
    public var peerIssuer: DistinguishedName?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    /// The peer, or `auth.client_certificate_required`.
    public func requirePeer() throws -> PeerIdentity {
        guard let peer else {
            throw ShoalError(.clientCertificateRequired, "this route needs a client certificate issued by the fleet CA (mutual TLS)")
        }
        return peer
    }
}
