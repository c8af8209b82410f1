import Foundation

extension TrustDocument {
    /// Accepts `envelope` as the document after `current` (nil: the first one a node or
    /// coordinator sees). The rules of docs/trust.md: the right payload type and fleet; a
    /// version above the current one; not expired; signed by a threshold of the *current*
    /// document's roots (the old roots vouch for a rotation) and by a threshold of its own.
    /// `pinnedRoots` (a `Roots.fingerprint`) is checked for a first document.
    /// `checkExpiry` is false for a document in the middle of a chain: only the one a node
    /// ends up holding must be current (TUF's rule, so a node offline for a year can still
    /// follow the roots' rotations).
    public static func accept(
        _ envelope: DSSEEnvelope, after current: TrustDocument?, fleet: String?, now: Date = Date(), pinnedRoots: String? = nil,
        checkExpiry: Bool = true
    ) throws -> TrustDocument {
        let next = try envelope.decodePayload(TrustDocument.self, expecting: payloadType, malformed: .trustMalformed)
        try next.validateShape()
        if let fleet, next.fleet != fleet {
            throw ShoalError(.trustWrongFleet, "trust document v\(next.version) is for fleet '\(next.fleet)', this is '\(fleet)'")
        }
        if let current, next.version <= current.version {
            throw ShoalError(.trustRollback, "trust document v\(next.version) is not newer than v\(current.version), the one held; older documents are never accepted")
        }
        if checkExpiry, next.expiresAt <= now {
            throw ShoalError(.trustExpired, "trust document v\(next.version) expired at \(Timestamp.format(next.expiresAt)); the root must sign a fresh one ('coordinator root renew')")
        }
        if current == nil, let pinnedRoots, next.roots.fingerprint != pinnedRoots {
            throw ShoalError(.trustRootMismatch, "trust document v\(next.version) has roots \(next.roots.fingerprint), but this node pins \(pinnedRoots); check trust_root in agent.yaml")
        }
        try envelope.requireThreshold(of: next.roots, what: "its own roots", version: next.version)
        if let current {
            try envelope.requireThreshold(of: current.roots, what: "the roots of v\(current.version)", version: next.version)
        }
        return next
    }

    /// Accepts a chain of documents in order, each after the one before; returns the last
    /// (or `current` when the chain is empty). Only the last must be unexpired, and only when
    /// `requireCurrent`.
    public static func accept(
        chain: [DSSEEnvelope], after current: TrustDocument?, fleet: String?, now: Date = Date(), pinnedRoots: String? = nil,
        requireCurrent: Bool = true
    ) throws -> TrustDocument? {
        var held = current
        for (index, envelope) in chain.enumerated() {
            let last = index == chain.count - 1
            held = try accept(envelope, after: held, fleet: fleet, now: now, pinnedRoots: pinnedRoots, checkExpiry: requireCurrent && last)
        }
        return held
    }

    /// The document must not have expired for anything to run under it.
    public func requireUnexpired(now: Date = Date()) throws {
        guard expiresAt > now else {
            throw ShoalError(.trustExpired, "trust document v\(version) expired at \(Timestamp.format(expiresAt)); nothing runs until the root signs a fresh one ('coordinator root renew')")
        }
    }
}

extension DSSEEnvelope {
    /// At least `roots.threshold` distinct root keys signed this envelope.
    public func requireThreshold(of roots: TrustDocument.Roots, what: String = "its roots", version: Int) throws {
        let signed = verifiedKeyIDs(among: roots.keys)
        guard signed.count >= roots.threshold else {
            throw ShoalError(.trustBadSignature, "trust document v\(version) carries \(signed.count) valid signature(s) by \(what), needs \(roots.threshold)")
        }
    }
}
