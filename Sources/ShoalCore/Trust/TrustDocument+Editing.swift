import Foundation

extension TrustDocument {
    /// How long a document is valid unless the root says otherwise.
    public static let defaultValidity: TimeInterval = 365 * 86400

    /// Version 1 of a fleet's document.
    public static func initial(
        fleet: String, roots: Roots, deliveryKeys: [TrustedBundleKey], operators: [OperatorGrant],
        validity: TimeInterval = defaultValidity, now: Date = Date()
    ) -> TrustDocument {
        TrustDocument(
            version: 1, fleet: fleet, issuedAt: Timestamp.rounded(now), expiresAt: Timestamp.rounded(now.addingTimeInterval(validity)),
            roots: roots, deliveryKeys: deliveryKeys, operators: operators
        )
    }

    /// The next version: `edit` applied, issued now, valid for `validity` from now.
    public func next(validity: TimeInterval = defaultValidity, now: Date = Date(), _ edit: (inout TrustDocument) throws -> Void) throws -> TrustDocument {
        var next = self
        next.version = version + 1
        next.issuedAt = Timestamp.rounded(now)
        next.expiresAt = Timestamp.rounded(now.addingTimeInterval(validity))
        try edit(&next)
        try next.validateShape()
        return next
    }

    /// The document signed by each of `keys` (root keys; a threshold of them makes it valid).
    public func signed(by keys: [BundleSigningKey]) throws -> DSSEEnvelope {
        guard let first = keys.first else { throw ShoalError(.invalidArgument, "signing a trust document needs at least one root key") }
        var envelope = try first.sign(payload: WireCoding.encode(self), payloadType: Self.payloadType)
        for key in keys.dropFirst() { envelope = try envelope.addingSignature(of: key) }
        return envelope
    }

    /// Replaces or adds the operator named `grant.name`.
    public mutating func setOperator(_ grant: OperatorGrant) {
        operators.removeAll { $0.name == grant.name }
        operators.append(grant)
        operators.sort { $0.name < $1.name }
    }

    /// Removes the operator; false when there is none of that name.
    @discardableResult
    public mutating func removeOperator(named name: String) -> Bool {
        let before = operators.count
        operators.removeAll { $0.name == name }
        return operators.count < before
    }
}
