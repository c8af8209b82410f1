import Foundation
import Testing

@testable import ShoalCoordinator

/// The allocator controls `coordinator serve` relies on are found in this process's C
/// library (glibc on every supported system) and answer as documented.
@Suite struct GlibcMallocTests {
    @Test func trimAndTheMmapThresholdAreAvailableAndAccepted() {
        #expect(GlibcMalloc.canTrim)
        #expect(GlibcMalloc.fixMmapThreshold(128 * 1024) || ProcessInfo.processInfo.environment["MALLOC_MMAP_THRESHOLD_"] != nil)
        // A large block allocated and freed, then a trim: it runs and returns a verdict.
        let block = UnsafeMutableRawPointer.allocate(byteCount: 8 << 20, alignment: 16)
        block.initializeMemory(as: UInt8.self, repeating: 1, count: 8 << 20)
        block.deallocate()
        _ = GlibcMalloc.trim()
    }
}
