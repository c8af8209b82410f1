import Foundation
import ShoalCore
import Synchronization

/// Group commit for heartbeats. Beats that arrive while a write is in flight wait for the next
/// one and go into it together, so a burst costs one transaction (one WAL fsync) instead of one
/// each, and a single beat on a quiet fleet is written at once: no timer, no added delay.
final class HeartbeatRecorder: Sendable {
    private struct Waiting {
        let beat: HeartbeatWrite
        let answer: CheckedContinuation<NodeRecord?, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var writing = false
    }

    let store: any FleetStore
    /// Most beats in one transaction, so one write never holds SQLite's writer for long.
    let maxBatch: Int
    private let state = Mutex(State())

    init(store: any FleetStore, maxBatch: Int = 500) {
        self.store = store
        self.maxBatch = maxBatch
    }

    /// Records the beat with whatever else is waiting; returns the node as written (nil: unknown node).
    func record(_ beat: HeartbeatWrite) async throws -> NodeRecord? {
        try await withCheckedThrowingContinuation { answer in
            let startWriter = state.withLock { state in
                state.waiting.append(Waiting(beat: beat, answer: answer))
                guard !state.writing else { return false }
                state.writing = true
                return true
            }
            if startWriter { Task { await self.writeUntilDrained() } }
        }
    }

    private func writeUntilDrained() async {
        while true {
            let batch = state.withLock { state -> [Waiting] in
                let batch = Array(state.waiting.prefix(maxBatch))
                state.waiting.removeFirst(batch.count)
                if batch.isEmpty { state.writing = false }
                return batch
            }
            if batch.isEmpty { return }
            await write(batch)
        }
    }

    private func write(_ batch: [Waiting]) async {
        do {
            let nodes = try await store.recordHeartbeats(batch.map(\.beat))
            for (waiting, node) in zip(batch, nodes) { waiting.answer.resume(returning: node) }
        } catch {
            // One beat the store refuses must not fail the others: write them one at a time.
            guard batch.count > 1 else {
                batch.first?.answer.resume(throwing: error)
                return
            }
            for waiting in batch {
                do {
                    let node = try await store.recordHeartbeats([waiting.beat]).first ?? nil
                    waiting.answer.resume(returning: node)
                } catch {
                    waiting.answer.resume(throwing: error)
                }
            }
        }
    }
}
