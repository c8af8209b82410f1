import Foundation
import ShoalCore
import Synchronization

/// Counts the coordinator's own key use, per key and purpose: bundles signed, trust documents
/// served. `record` is cheap and never touches the database, so it can sit on the hot path of
/// a poll answer; `KeyUseFlusher` adds the counts to the store about once a second and on
/// shutdown. A crash loses at most the counts since the last flush (documented in
/// security.md): the counts are evidence of use, not a ledger.
public final class KeyUseCounter: Sendable {
    private struct Key: Hashable {
        var keyID: String
        var use: KeyUse
    }

    private let pending = Mutex<[Key: KeyUseCount]>([:])
    /// Signalled by `record`; the flusher waits on it.
    let recorded = Wakeup()

    public init() {}

    /// Counts `count` uses of the key with `keyID` for `use`, at `at`.
    public func record(keyID: String, use: KeyUse, count: Int64 = 1, at: Date = Date()) {
        guard count > 0 else { return }
        pending.withLock { pending in
            let key = Key(keyID: keyID, use: use)
            if var existing = pending[key] {
                existing.count += count
                existing.firstAt = min(existing.firstAt, at)
                existing.lastAt = max(existing.lastAt, at)
                pending[key] = existing
            } else {
                pending[key] = KeyUseCount(keyID: keyID, use: use, count: count, firstAt: at, lastAt: at)
            }
        }
        recorded.signal()
    }

    /// Counts each trust document served once per root key that signed it, so operators can
    /// see which root signatures the coordinator hands out, and how often.
    public func recordTrustServed(_ envelopes: [DSSEEnvelope], at: Date = Date()) {
        for envelope in envelopes {
            for keyID in Set(envelope.signatures.map(\.keyid)) { record(keyID: keyID, use: .trustServed, at: at) }
        }
    }

    /// Adds everything counted so far to `store`. Counts a failed write could not store are
    /// kept for the next flush.
    public func flush(into store: any FleetStore) async throws {
        let taken = pending.withLock { pending in
            let taken = Array(pending.values)
            pending.removeAll()
            return taken
        }
        guard !taken.isEmpty else { return }
        do {
            try await store.addKeyUse(taken.sorted { ($0.keyID, $0.use.rawValue) < ($1.keyID, $1.use.rawValue) })
        } catch {
            for count in taken { record(keyID: count.keyID, use: count.use, count: count.count, at: count.firstAt) }
            throw error
        }
    }
}
