import Foundation
import ServiceLifecycle

/// Hands memory the allocator kept back to the kernel now and then. Many small blocks freed
/// after a burst of requests stay in glibc's arenas, counted in the process's RSS, until
/// `malloc_trim` releases the free pages. It costs a few milliseconds, so a quiet pass every
/// `period` is enough (see operations.md, "Memory"; the large blocks are handled by
/// `configureProcess`).
public struct AllocatorTrimmer: Service {
    let period: Duration

    public init(period: Duration = .seconds(30)) {
        self.period = period
    }

    /// The process-wide allocator setting for `coordinator serve`, made before any server
    /// thread exists: large blocks (request bodies, their decoded copies) always `mmap`ped, so
    /// freeing them returns them. `SHOAL_MALLOC_TUNING=off` leaves glibc's defaults and turns
    /// the trimming off too (for measuring; scripts/memory-soak.sh).
    public static func configureProcess() {
        guard ProcessInfo.processInfo.environment["SHOAL_MALLOC_TUNING"] != "off" else { return }
        GlibcMalloc.fixMmapThreshold(128 * 1024)
    }

    public func run() async throws {
        // A service that returns early ends the whole group: when there is nothing to trim it
        // still waits for shutdown, doing nothing.
        let enabled = ProcessInfo.processInfo.environment["SHOAL_MALLOC_TUNING"] != "off" && GlibcMalloc.canTrim
        try? await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                try await Task.sleep(for: period)
                if enabled { GlibcMalloc.trim() }
            }
        }
    }
}
