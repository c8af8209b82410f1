import Foundation
import Logging
import ServiceLifecycle
import ShoalCore

/// Writes the key-use counts (`KeyUseCounter`) to the store when there are new ones, at most
/// about once a second so a busy poll path costs one write per second rather than one per
/// use, and once more on graceful shutdown.
public struct KeyUseFlusher: Service {
    let counter: KeyUseCounter
    let store: any FleetStore
    let logger: Logger
    /// The least time between two writes.
    let coalesce: Duration

    public init(counter: KeyUseCounter, store: any FleetStore, logger: Logger, coalesce: Duration = .seconds(1)) {
        self.counter = counter
        self.store = store
        self.logger = logger
        self.coalesce = coalesce
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                try await counter.recorded.wait(upTo: .seconds(3600))
                await flush()
                try await Task.sleep(for: coalesce)
            }
        }
        await flush()
    }

    private func flush() async {
        do {
            try await counter.flush(into: store)
        } catch {
            logger.error("cannot store key-use counts; kept for the next try", metadata: ["error": "\(error)"])
        }
    }
}
