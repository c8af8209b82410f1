import Foundation
import ShoalCore
import Synchronization

/// The fleet's current trust document, as checked and stored: read on every signed request
/// and every delivery, so it is kept in memory and replaced only by `install`, which checks a
/// new document exactly as an agent would. The coordinator holds no root key: it can store a
/// document, never make one.
public final class TrustKeeper: Sendable {
    public struct Current: Sendable {
        public var document: TrustDocument
        public var envelope: DSSEEnvelope
    }

    private let state = Mutex<Current?>(nil)
    let fleetName: String

    init(fleetName: String) {
        self.fleetName = fleetName
    }

    /// Loads the stored documents and checks them as one chain from the first, exactly as a
    /// new agent would walk it (the database is not trusted more than the network): a row
    /// edited, replaced or replayed in the database stops `serve` with the reason. A fleet
    /// from before operator signing has none.
    func load(from store: any FleetStore) async throws {
        let records = try await store.trustDocuments(after: 0)
        guard !records.isEmpty else { return }
        var held: TrustDocument?
        var envelope: DSSEEnvelope?
        for record in records {
            guard let next = record.envelope else {
                throw ShoalError(.trustMalformed, "stored trust document v\(record.version) does not parse; restore the database from a backup")
            }
            do {
                let document = try TrustDocument.accept(next, after: held, fleet: fleetName, checkExpiry: false)
                guard document.version == record.version else {
                    throw ShoalError(.trustRollback, "the row for v\(record.version) holds document v\(document.version)")
                }
                held = document
                envelope = next
            } catch let error as ShoalError {
                throw ShoalError(error.code, "the stored trust documents do not form a valid chain at v\(record.version): \(error.message); the database was edited — restore it from a backup")
            }
        }
        if let held, let envelope { state.withLock { $0 = Current(document: held, envelope: envelope) } }
    }

    public var current: Current? { state.withLock { $0 } }

    /// The current document, or `trust.missing` saying how to make one.
    public func require() throws -> Current {
        guard let current else {
            throw ShoalError(.trustMissing, "this fleet has no trust document, so no task can be signed or delivered; make a root with 'coordinator root init' and publish a document ('coordinator root publish'), see docs/operations.md \"Key ceremony\"")
        }
        return current
    }

    /// Checks `envelope` as the next document and stores it.
    @discardableResult
    func install(_ envelope: DSSEEnvelope, store: any FleetStore, audit: AuditRecord?, now: Date = Date()) async throws -> TrustDocument {
        let document = try TrustDocument.accept(envelope, after: current?.document, fleet: fleetName, now: now)
        try await store.installTrustDocument(
            TrustDocumentRecord(version: document.version, envelopeJSON: try envelope.jsonText(), installedAt: now), audit: audit
        )
        state.withLock { $0 = Current(document: document, envelope: envelope) }
        return document
    }
}
