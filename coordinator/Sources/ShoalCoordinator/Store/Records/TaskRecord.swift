import Foundation
import GRDB
import ShoalCore

/// A row of `tasks`: one operator request across the fleet.
public struct TaskRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "tasks"

    public var id: String
    public var name: String
    public var createdAt: Date
    public var createdBy: String
    public var requestJSON: String

    public init(id: String, name: String, createdAt: Date, createdBy: String, requestJSON: String) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.requestJSON = requestJSON
    }
}
