import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// glibc's allocator controls, looked up at run time: `malloc_trim` and `mallopt` are not in
/// Swift's Glibc module, and on another C library they simply are not there.
enum GlibcMalloc {
    private typealias TrimFunction = @convention(c) (Int) -> Int32
    private typealias OptionFunction = @convention(c) (Int32, Int32) -> Int32
    /// `M_MMAP_THRESHOLD` from <malloc.h>.
    private static let mmapThresholdOption: Int32 = -3

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        #if canImport(Glibc)
        return dlsym(UnsafeMutableRawPointer(bitPattern: 0), name)
        #else
        return nil
        #endif
    }

    /// Gives freed memory at the top of each arena, and whole free pages inside them, back to
    /// the kernel. False when there is no glibc allocator or nothing was released.
    @discardableResult
    static func trim() -> Bool {
        guard let address = symbol("malloc_trim") else { return false }
        return unsafeBitCast(address, to: TrimFunction.self)(0) == 1
    }

    static var canTrim: Bool { symbol("malloc_trim") != nil }

    /// Allocations of `bytes` or more are their own `mmap` and go back to the kernel when freed.
    /// Setting it also turns off glibc's dynamic threshold, which after the first large block
    /// is freed raises the threshold (up to 32 MiB), so that every later request body of a few
    /// MiB is carved from an arena and kept there after it is freed. Does nothing when
    /// `MALLOC_MMAP_THRESHOLD_` is set in the environment — the operator's word wins.
    @discardableResult
    static func fixMmapThreshold(_ bytes: Int32) -> Bool {
        guard ProcessInfo.processInfo.environment["MALLOC_MMAP_THRESHOLD_"] == nil, let address = symbol("mallopt") else { return false }
        return unsafeBitCast(address, to: OptionFunction.self)(mmapThresholdOption, bytes) == 1
    }
}
