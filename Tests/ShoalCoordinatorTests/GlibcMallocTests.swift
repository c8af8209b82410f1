import Foundation
import Testing

@testable import ShoalCoordinator

/// The allocator controls `coordinator serve` relies on are found in this process's C
/// library (glibc on every supported system) and answer as documented.
@Suite struct GlibcMallocTests {
    @Test func trimAndTheMmapThresholdAreAvailableAndAccepted() {
        #expect(GlibcMalloc.canTrim)
        #expect(GlibcMalloc.fixMmapThreshold(128 * 1024) || ProcessInfo.processInfo.environment["MALLOC_MMAP_THRESHOLD_"] != nil)
        // Heap blocks (below the mmap threshold) touched and freed behind one still in use, so
        // free() itself cannot hand them back: the trim must release their pages.
        let blocks = (0..<64).map { _ in UnsafeMutableRawPointer.allocate(byteCount: 64 << 10, alignment: 16) }
        for block in blocks { block.initializeMemory(as: UInt8.self, repeating: 1, count: 64 << 10) }
        let keep = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
        defer { keep.deallocate() }
        for block in blocks { block.deallocate() }
        #expect(GlibcMalloc.trim())
    }
}
