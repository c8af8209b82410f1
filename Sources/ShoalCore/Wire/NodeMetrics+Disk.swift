extension NodeMetrics {
    /// One real filesystem's size and free space (statvfs: blocks available to unprivileged
    /// users). A metric, not a fact: free space moves on every heartbeat.
    public struct Disk: Codable, Sendable, Equatable {
        public var mount: String
        public var totalBytes: UInt64
        public var freeBytes: UInt64

        public init(mount: String, totalBytes: UInt64, freeBytes: UInt64) {
            self.mount = mount
            self.totalBytes = totalBytes
            self.freeBytes = freeBytes
        }
    }
}
