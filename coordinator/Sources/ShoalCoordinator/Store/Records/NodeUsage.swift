import Foundation

/// One node's sums over the hours of a usage period (see `FleetStore.usage`).
/// Decodable from a row of the usage query's named columns.
public struct NodeUsage: Sendable, Equatable, Decodable {
    public var nodeID: String
    public var minutes: Int
    public var gpuMinutes: Int
    public var cpuCoreMinutes: Double
    public var memoryByteMinutes: Double

    public init(nodeID: String, minutes: Int, gpuMinutes: Int, cpuCoreMinutes: Double, memoryByteMinutes: Double) {
        self.nodeID = nodeID
        self.minutes = minutes
        self.gpuMinutes = gpuMinutes
        self.cpuCoreMinutes = cpuCoreMinutes
        self.memoryByteMinutes = memoryByteMinutes
    }
}
