import Foundation
import GRDB
import ShoalCore

/// A row of `deliveries`: one node's signed bundle for one task, and what became of it.
public struct DeliveryRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "deliveries"

    public var id: String
    public var taskID: String
    public var nodeID: String
    public var sequence: Int64
    public var status: NodeTaskStatus
    public var envelopeJSON: String
    public var createdAt: Date
    public var deliveredAt: Date?
    public var finishedAt: Date?
    public var exitCode: Int32?
    public var errorCode: String?
    public var message: String?
    public var firstLine: String?
    public var resultJSON: String?

    public var envelope: DSSEEnvelope? {
        try? WireCoding.decode(DSSEEnvelope.self, from: Data(envelopeJSON.utf8))
    }

    public var result: BundleResult? {
        resultJSON.flatMap { try? WireCoding.decode(BundleResult.self, from: Data($0.utf8)) }
    }

    public func view(hostname: String) -> NodeTaskView {
        NodeTaskView(
            nodeID: nodeID, hostname: hostname, bundleID: id, sequence: sequence, status: status, exitCode: exitCode,
            errorCode: errorCode.map { ShoalError.Code(rawValue: $0) }, message: message, firstLine: firstLine,
            deliveredAt: deliveredAt, finishedAt: finishedAt, result: result
        )
    }
}
