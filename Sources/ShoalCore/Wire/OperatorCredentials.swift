import Foundation

/// Lifetimes of operator credentials (`POST /v1/operators`, `coordinator init`'s admin).
/// Short, because a credential is renewed (`POST /v1/operators/renew`) rather than kept.
extension OperatorCreateRequest {
    public static let defaultValidityDays = 90
    public static let validityDays = 1...365
}

/// One operator certificate the coordinator issued, as `GET /v1/operators` shows it.
public struct OperatorCredentialView: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case active, expired, revoked
    }

    public var name: String
    public var role: String
    /// The certificate's serial number, lowercase hex.
    public var serial: String
    public var status: Status
    public var issuedAt: Date
    public var expiresAt: Date
    /// Who issued it: `admin NAME`, `coordinator init`, or the holder renewing it.
    public var issuedBy: String
    /// The serial this certificate renewed, if it came from a renewal.
    public var renewalOf: String?
    public var revokedAt: Date?
    public var revokedBy: String?

    public init(
        name: String, role: String, serial: String, status: Status, issuedAt: Date, expiresAt: Date,
        issuedBy: String, renewalOf: String?, revokedAt: Date?, revokedBy: String?
    ) {
        self.name = name
        self.role = role
        self.serial = serial
        self.status = status
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.issuedBy = issuedBy
        self.renewalOf = renewalOf
        self.revokedAt = revokedAt
        self.revokedBy = revokedBy
    }
}

/// `GET /v1/operators` (admin).
public struct OperatorListResponse: Codable, Sendable {
    public var operators: [OperatorCredentialView]

    public init(operators: [OperatorCredentialView]) { self.operators = operators }
}

/// `POST /v1/operators/revoke` (admin): every unrevoked certificate issued under `name`, or
/// the one with `serial`. Exactly one of the two.
public struct OperatorRevokeRequest: Codable, Sendable {
    public var name: String?
    public var serial: String?

    public init(name: String? = nil, serial: String? = nil) {
        self.name = name
        self.serial = serial
    }
}

public struct OperatorRevokeResponse: Codable, Sendable {
    public var revoked: [OperatorCredentialView]
    /// Names whose signing key the current trust document still grants. Revoking the TLS
    /// credential does not touch it: tasks and schedules already signed with it still run on
    /// agents until a root holder runs `coordinator root revoke-operator NAME`.
    public var signingKeyStillTrusted: [String]

    public init(revoked: [OperatorCredentialView], signingKeyStillTrusted: [String] = []) {
        self.revoked = revoked
        self.signingKeyStillTrusted = signingKeyStillTrusted
    }
}

/// `POST /v1/operators/renew` (any operator role, with the certificate to renew): a CSR for
/// the same key. The answer is an `OperatorCreateResponse`.
public struct OperatorRenewRequest: Codable, Sendable {
    public var csr: String

    public init(csr: String) { self.csr = csr }
}
