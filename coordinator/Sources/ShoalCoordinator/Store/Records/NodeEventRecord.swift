import Foundation

/// A row of `node_events`: what happened to a node (enrolled, down, back, bundle refused).
public struct NodeEventRecord: Codable, Sendable {
    public var id: Int64?
    public var nodeID: String
    public var at: Date
    public var kind: String
    public var detail: String

    public init(nodeID: String, at: Date, kind: String, detail: String) {
        self.nodeID = nodeID
        self.at = at
        self.kind = kind
        self.detail = detail
    }
}
