import Foundation
import X509

/// Who may make the fleet's nodes run something: the fleet's root keys (and how many of them
/// must sign), the coordinator's delivery keys, each operator's key and scope, and the CA
/// certificates agents trust. Signed by the roots as a DSSE envelope of `payloadType`; the
/// coordinator only stores and serves it (docs/trust.md).
public struct TrustDocument: Codable, Sendable, Equatable {
    public static let payloadType = "application/vnd.shoal.trust+json"

    public struct Roots: Codable, Sendable, Equatable {
        /// How many distinct root keys must sign a document.
        public var threshold: Int
        public var keys: [TrustedBundleKey]

        public init(threshold: Int, keys: [TrustedBundleKey]) {
            self.threshold = threshold
            self.keys = keys
        }

        /// Names this root set: SHA-256 over the threshold and the sorted key ids. Agents may pin it.
        public var fingerprint: String {
            let text = "\(threshold):" + keys.map(\.keyID).sorted().joined(separator: ",")
            return TrustedBundleKey.keyID(for: Data(text.utf8))
        }
    }

    /// One operator's signing key and what it may do.
    public struct OperatorGrant: Codable, Sendable, Equatable {
        /// The operator's name: the `CN` of their TLS credential.
        public var name: String
        public var key: TrustedBundleKey
        public var scope: OperatorScope

        public init(name: String, key: TrustedBundleKey, scope: OperatorScope) {
            self.name = name
            self.key = key
            self.scope = scope
        }
    }

    /// Only ever goes up; agents refuse a document not above the one they hold.
    public var version: Int
    /// The fleet's name (`fleet_name` in coordinator.yaml): a document for another fleet is refused.
    public var fleet: String
    public var issuedAt: Date
    public var expiresAt: Date
    public var roots: Roots
    /// Keys the coordinator signs deliveries with (two while one rotates).
    public var deliveryKeys: [TrustedBundleKey]
    public var operators: [OperatorGrant]
    /// PEM fleet CA certificates agents trust for TLS (two while the CA rotates); nil: keep
    /// the CA pinned at enrollment.
    public var caCertificates: [String]?

    public init(
        version: Int, fleet: String, issuedAt: Date, expiresAt: Date, roots: Roots, deliveryKeys: [TrustedBundleKey],
        operators: [OperatorGrant], caCertificates: [String]? = nil
    ) {
        self.version = version
        self.fleet = fleet
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.roots = roots
        self.deliveryKeys = deliveryKeys
        self.operators = operators
        self.caCertificates = caCertificates
    }

    /// The grant whose key signed, by key id.
    public func operatorGrant(keyID: String) -> OperatorGrant? {
        operators.first { $0.key.keyID == keyID }
    }

    public func operatorGrant(named name: String) -> OperatorGrant? {
        operators.first { $0.name == name }
    }

    /// Checks the document's own shape: what any valid document must hold.
    public func validateShape() throws {
        func fail(_ why: String) -> ShoalError { ShoalError(.trustMalformed, "trust document v\(version): \(why)") }
        guard version >= 1 else { throw fail("version must be at least 1") }
        guard !fleet.isEmpty else { throw fail("names no fleet") }
        guard expiresAt > issuedAt else { throw fail("expires before it is issued") }
        let rootIDs = Set(roots.keys.map(\.keyID))
        guard rootIDs.count == roots.keys.count, !rootIDs.isEmpty else { throw fail("root keys must be distinct and at least one") }
        guard (1...roots.keys.count).contains(roots.threshold) else { throw fail("threshold \(roots.threshold) must be between 1 and the \(roots.keys.count) root key(s)") }
        guard !deliveryKeys.isEmpty else { throw fail("lists no delivery key: the coordinator could deliver nothing") }
        var names: Set<String> = []
        var keys: Set<String> = []
        for grant in operators {
            guard names.insert(grant.name).inserted else { throw fail("operator '\(grant.name)' is listed twice") }
            guard keys.insert(grant.key.keyID).inserted else { throw fail("two operators share key \(grant.key.keyID)") }
            guard !rootIDs.contains(grant.key.keyID), !deliveryKeys.contains(grant.key) else {
                throw fail("operator '\(grant.name)' uses a root or delivery key; every role needs its own key")
            }
            try grant.scope.validate(operator: grant.name)
        }
        if let caCertificates { try Self.validateCAList(caCertificates, fail: fail) }
    }

    /// Most CAs a document lists: the current one and the next while the CA rotates, with room
    /// for a slow rotation; more would only widen what agents trust.
    public static let maxCACertificates = 4

    /// A listed CA set must parse, hold only CA certificates, and not be empty: an empty list
    /// would leave agents trusting no server at all.
    static func validateCAList(_ list: [String], fail: (String) -> ShoalError) throws {
        guard !list.isEmpty else { throw fail("lists an empty CA set; leave caCertificates out to keep the CA pinned at enrollment") }
        guard list.count <= maxCACertificates else { throw fail("lists \(list.count) CA certificates; at most \(maxCACertificates)") }
        var seen: Set<String> = []
        for (index, pem) in list.enumerated() {
            guard let certificate = try? Certificate(pemEncoded: pem), let fingerprint = try? certificate.fingerprint else {
                throw fail("CA certificate \(index + 1) is not a PEM certificate")
            }
            guard case .isCertificateAuthority = try? certificate.extensions.basicConstraints else {
                throw fail("CA certificate \(index + 1) (\(fingerprint)) is not a CA certificate")
            }
            guard seen.insert(fingerprint).inserted else { throw fail("CA certificate \(fingerprint) is listed twice") }
        }
    }

    /// The listed CA certificates as one PEM bundle, the form TLS trust roots are read from.
    public var caBundle: String? {
        caCertificates.map { list in list.map { $0.hasSuffix("\n") ? $0 : $0 + "\n" }.joined() }
    }
}
