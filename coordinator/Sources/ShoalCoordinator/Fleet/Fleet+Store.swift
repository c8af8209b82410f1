import Foundation
import ShoalCore

extension Fleet {
    /// The fleet's store as coordinator.yaml says: `database: postgres://…` (shared by every
    /// replica), else the SQLite file in the data directory. Every command that reads or
    /// writes the fleet's state opens it here, so none of them quietly uses the local file of
    /// a fleet that lives on PostgreSQL.
    public static func openStore(paths: FleetPaths, timer: (any StoreOperationTimer)? = nil) async throws -> any FleetStore {
        let config = try CoordinatorConfig.parse(yaml: SecureFile.read(paths.config), source: paths.config)
        return try await openStore(paths: paths, config: config, timer: timer)
    }

    public static func openStore(paths: FleetPaths, config: CoordinatorConfig, timer: (any StoreOperationTimer)? = nil) async throws -> any FleetStore {
        if let url = try config.databaseURL(source: paths.config) {
            return try await PostgresFleetStore(url: url, timer: timer)
        }
        return try SQLiteFleetStore(path: paths.database, timer: timer)
    }
}

extension Fleet {
    /// Step output goes where the store is: every replica on PostgreSQL reads what any of them
    /// received; a SQLite fleet keeps it in files in its data directory.
    static func outputs(for store: any FleetStore, paths: FleetPaths) -> any StepOutputStore {
        if let postgres = store as? PostgresFleetStore { return PostgresStepOutputs(store: postgres) }
        return TaskOutputFiles(root: paths.outputDirectory)
    }
}
