import Foundation
import ShoalCore
import X509

/// A row of `operator_credentials`: one operator certificate the coordinator issued (or, for
/// a certificate from before credentials were recorded, first saw in use). The serial is what
/// a request is checked against: a revoked one is refused from its next request on.
public struct OperatorCredentialRecord: Codable, Sendable {
    public var serial: String
    public var name: String
    public var role: PeerIdentity.Role
    public var issuedAt: Date
    public var expiresAt: Date
    public var issuedBy: String
    public var renewalOf: String?
    public var revokedAt: Date?
    public var revokedBy: String?
    /// `publicKeyHash` of the certificate; nil for records made before it was kept.
    public var publicKeyHash: String?

    public init(serial: String, name: String, role: PeerIdentity.Role, issuedAt: Date, expiresAt: Date, issuedBy: String, renewalOf: String? = nil) {
        self.serial = serial
        self.name = name
        self.role = role
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.issuedBy = issuedBy
        self.renewalOf = renewalOf
    }

    /// The record of a certificate just issued (or seen): its identity and dates.
    public init(certificate: Certificate, identity: PeerIdentity, issuedAt: Date, issuedBy: String, renewalOf: String? = nil) {
        self.init(
            serial: certificate.serialHex, name: identity.name, role: identity.role, issuedAt: issuedAt,
            expiresAt: certificate.notValidAfter, issuedBy: issuedBy, renewalOf: renewalOf
        )
        self.publicKeyHash = certificate.publicKeyHash
    }

    public func status(at now: Date) -> OperatorCredentialView.Status {
        if revokedAt != nil { return .revoked }
        return expiresAt > now ? .active : .expired
    }

    public func view(at now: Date) -> OperatorCredentialView {
        OperatorCredentialView(
            name: name, role: role.rawValue, serial: serial, status: status(at: now), issuedAt: issuedAt, expiresAt: expiresAt,
            issuedBy: issuedBy, renewalOf: renewalOf, revokedAt: revokedAt, revokedBy: revokedBy
        )
    }
}
