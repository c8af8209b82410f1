import Foundation
import ShoalCore

/// A row of `trust_documents`: every root-signed trust document the fleet has had, kept so
/// an agent several versions behind can be handed the whole chain.
public struct TrustDocumentRecord: Codable, Sendable {
    public var version: Int
    /// The DSSE envelope as the root signed it.
    public var envelopeJSON: String
    public var installedAt: Date

    public init(version: Int, envelopeJSON: String, installedAt: Date) {
        self.version = version
        self.envelopeJSON = envelopeJSON
        self.installedAt = installedAt
    }

    public var envelope: DSSEEnvelope? {
        try? WireCoding.decode(DSSEEnvelope.self, from: Data(envelopeJSON.utf8))
    }
}

extension TrustDocumentRecord {
    /// Refuses (`trust.rollback`) a document that is not newer than the fleet's latest.
    func checkNewer(than latest: TrustDocumentRecord?) throws {
        if let latest, latest.version >= version {
            throw ShoalError(.trustRollback, "the fleet already has trust document v\(latest.version); v\(version) is not newer")
        }
    }
}
